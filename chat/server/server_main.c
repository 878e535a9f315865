/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server_main.c - command line of chat-server.
 *
 * Owns: option parsing, --help text (with every default) and the exit
 * status.  Does not own anything about serving (server.c).
 */
#include "server.h"

#include "proto/frame.h"
#include "write_pool.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
"usage: chat-server [--listen ADDR] [--port N] [OPTIONS]\n"
"       chat-server --help | --version\n"
"\n"
"Relays end-to-end encrypted chat messages between the members of each room\n"
"(it never sees their plaintext, nor the rooms' names).  Protocol:\n"
"docs/protocol.md.\n"
"\n"
"  --listen ADDR       numeric IPv4 or IPv6 address to bind (default 0.0.0.0;\n"
"                      e.g. 127.0.0.1, ::1, ::)\n"
"  --port N            TCP port (default %u)\n"
"  --max-clients N     clients served at once; more are refused (default %u)\n"
"  --max-queue BYTES   output bytes queued per client before it is\n"
"                      disconnected as too slow (default %u)\n"
"  --max-rooms N       rooms one connection may be in at once, 1..%u\n"
"                      (default %u)\n"
"  --nats URL[,URL...] join a NATS cluster (nats://HOST:PORT, or HOST:PORT):\n"
"                      the relays on it act as one (docs/federation.md);\n"
"                      an unreachable cluster is retried in the background\n"
"  --relay-id N        with --nats: this relay's number, 1..255, different\n"
"                      on every relay (its connection ids carry it)\n"
"  --history N         messages of each room kept (sealed, as relayed) and\n"
"                      replayed to members who join; with --nats kept in the\n"
"                      JetStream stream VCDCHAT_HISTORY too, so they outlive\n"
"                      the relay (default %u, at most %u; 0: no history)\n"
"  --history-age S     nor older than S seconds, 1..%u (default %u)\n"
"  --history-bytes BYTES  nor more bytes per room in this relay's memory\n"
"                      (default %u; at least one largest message)\n"
"  --history-replicas N  with --nats: copies of the stream JetStream keeps,\n"
"                      1..5, at most the cluster's size (default 1)\n"
"  --write-threads N   threads besides the main one that share the writes of\n"
"                      a fan-out, 0..%u (default 0: the main thread writes)\n"
"  --coalesce-ms MS    output that comes within MS ms of the last write pass\n"
"                      waits for the rest of those MS ms, so that a busy\n"
"                      relay sends several messages per system call (adds\n"
"                      up to MS ms of latency then), 0..%u (default 0)\n"
"  -v, --verbose       log joins, leaves, limits and errors to stderr\n"
"  -h, --help          this text\n"
"      --version       print the version and exit\n"
"\n"
"Limits against hostile clients (per connection unless said; 0 turns one off):\n"
"  --msg-rate N        frames a client may send per second (default %u)\n"
"  --msg-burst N       frames it may send at once beyond that (default %u)\n"
"  --byte-rate BYTES   bytes it may send per second (default %u)\n"
"  --byte-burst BYTES  bytes it may send at once beyond that (default %u)\n"
"                      Over a limit the server stops reading the connection\n"
"                      until it is within again (TCP slows the sender).\n"
"  --flood-timeout S   seconds a client may stay over its limits before it\n"
"                      is disconnected with ERROR(FLOOD) (default %u)\n"
"  --handshake-timeout S  seconds a new connection has to send its first\n"
"                      frame (it gets a PING to answer) (default %u)\n"
"  --idle-timeout S    a client silent for half of it gets a PING, and is\n"
"                      disconnected when the other half passes without any\n"
"                      frame from it (default %u; 0, or 2 and more)\n"
"  --max-memory BYTES  memory for all clients together (queued output,\n"
"                      partial input, state); over it the clients holding\n"
"                      the most are disconnected and new ones refused\n"
"                      (default %llu)\n"
"  --max-per-address N connections at once from one IPv4 address or one\n"
"                      IPv6 /64 (default %u)\n"
"  --who-page N        ids per WHO reply page, 1..%u (default %u)\n"
"BYTES take a suffix k, m or g (powers of 1024).\n"
"\n"
"SIGINT or SIGTERM closes every connection and exits 0.\n",
		CHAT_DEFAULT_PORT, CHAT_DEFAULT_MAX_CLIENTS, CHAT_DEFAULT_MAX_QUEUE,
		CHAT_MAX_ROOMS_LIMIT, CHAT_DEFAULT_MAX_ROOMS,
		CHAT_DEFAULT_HISTORY, CHAT_HISTORY_MAX, CHAT_DEFAULT_HISTORY_AGE,
		CHAT_DEFAULT_HISTORY_AGE, CHAT_DEFAULT_HISTORY_BYTES,
		WRITE_POOL_MAX_THREADS, CHAT_COALESCE_MAX_MS,
		CHAT_DEFAULT_MSG_RATE, CHAT_DEFAULT_MSG_BURST, CHAT_DEFAULT_BYTE_RATE,
		CHAT_DEFAULT_BYTE_BURST, CHAT_DEFAULT_FLOOD_TIMEOUT,
		CHAT_DEFAULT_HANDSHAKE_TIMEOUT, CHAT_DEFAULT_IDLE_TIMEOUT,
		(unsigned long long)CHAT_DEFAULT_MAX_MEMORY, CHAT_DEFAULT_MAX_PER_ADDRESS,
		CHAT_WHO_PAGE_MAX, CHAT_WHO_PAGE_MAX);
}

/* Parse digits with an optional k/m/g suffix (when suffix) within [lo, hi]. */
static int parse_num(const char *s, int suffix, unsigned long long lo,
		     unsigned long long hi, unsigned long long *out)
{
	unsigned shift = 0;
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')	/* no sign, no blanks */
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (suffix && (*end == 'k' || *end == 'K'))
		shift = 10, end++;
	else if (suffix && (*end == 'm' || *end == 'M'))
		shift = 20, end++;
	else if (suffix && (*end == 'g' || *end == 'G'))
		shift = 30, end++;
	if (*end || v > (hi >> shift))
		return -1;
	v <<= shift;
	if (v < lo)
		return -1;
	*out = v;
	return 0;
}

enum {
	OPT_MAX_CLIENTS = 'c', OPT_MAX_QUEUE = 'q', OPT_LISTEN = 'l', OPT_PORT = 'p',
	OPT_MSG_RATE = 256, OPT_MSG_BURST, OPT_BYTE_RATE, OPT_BYTE_BURST,
	OPT_FLOOD, OPT_HANDSHAKE, OPT_IDLE, OPT_MAX_MEMORY, OPT_PER_ADDRESS,
	OPT_WHO_PAGE, OPT_MAX_ROOMS, OPT_NATS, OPT_RELAY_ID, OPT_HISTORY,
	OPT_HISTORY_AGE, OPT_HISTORY_BYTES, OPT_HISTORY_REPLICAS, OPT_WRITE_THREADS,
	OPT_COALESCE,
};

static const struct option opts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
	{ "max-queue", required_argument, NULL, OPT_MAX_QUEUE },
	{ "msg-rate", required_argument, NULL, OPT_MSG_RATE },
	{ "msg-burst", required_argument, NULL, OPT_MSG_BURST },
	{ "byte-rate", required_argument, NULL, OPT_BYTE_RATE },
	{ "byte-burst", required_argument, NULL, OPT_BYTE_BURST },
	{ "flood-timeout", required_argument, NULL, OPT_FLOOD },
	{ "handshake-timeout", required_argument, NULL, OPT_HANDSHAKE },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "max-memory", required_argument, NULL, OPT_MAX_MEMORY },
	{ "max-per-address", required_argument, NULL, OPT_PER_ADDRESS },
	{ "who-page", required_argument, NULL, OPT_WHO_PAGE },
	{ "max-rooms", required_argument, NULL, OPT_MAX_ROOMS },
	{ "nats", required_argument, NULL, OPT_NATS },
	{ "relay-id", required_argument, NULL, OPT_RELAY_ID },
	{ "history", required_argument, NULL, OPT_HISTORY },
	{ "history-age", required_argument, NULL, OPT_HISTORY_AGE },
	{ "history-bytes", required_argument, NULL, OPT_HISTORY_BYTES },
	{ "history-replicas", required_argument, NULL, OPT_HISTORY_REPLICAS },
	{ "write-threads", required_argument, NULL, OPT_WRITE_THREADS },
	{ "coalesce-ms", required_argument, NULL, OPT_COALESCE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* The numeric options: range, suffix allowed, where the value goes. */
#define FIELD(f)	offsetof(struct chat_server_opts, f), \
			sizeof(((struct chat_server_opts *)0)->f)
static const struct num_opt {
	int opt;
	int suffix;		/* k/m/g allowed (byte counts) */
	unsigned long long lo, hi;
	size_t off, size;
} num_opts[] = {
	{ OPT_PORT, 0, 1, 65535, FIELD(port) },
	{ OPT_MAX_CLIENTS, 0, 1, 1000000, FIELD(max_clients) },
	{ OPT_MAX_QUEUE, 1, 1024, 1ull << 32, FIELD(max_queue) },
	{ OPT_MSG_RATE, 0, 0, 1000000, FIELD(rate.msg_rate) },
	{ OPT_MSG_BURST, 0, 1, 1000000, FIELD(rate.msg_burst) },
	{ OPT_BYTE_RATE, 1, 0, 1ull << 32, FIELD(rate.byte_rate) },
	{ OPT_BYTE_BURST, 1, 1024, 1ull << 32, FIELD(rate.byte_burst) },
	{ OPT_FLOOD, 0, 0, 86400, FIELD(flood_timeout) },
	{ OPT_HANDSHAKE, 0, 0, 86400, FIELD(handshake_timeout) },
	{ OPT_IDLE, 0, 0, 86400, FIELD(idle_timeout) },
	{ OPT_MAX_MEMORY, 1, 0, 1ull << 50, FIELD(max_memory) },
	{ OPT_PER_ADDRESS, 0, 0, 1000000, FIELD(max_per_address) },
	{ OPT_WHO_PAGE, 0, 1, CHAT_WHO_PAGE_MAX, FIELD(who_page) },
	{ OPT_MAX_ROOMS, 0, 1, CHAT_MAX_ROOMS_LIMIT, FIELD(max_rooms) },
	{ OPT_RELAY_ID, 0, 1, 255, FIELD(relay_id) },
	{ OPT_HISTORY, 0, 0, CHAT_HISTORY_MAX, FIELD(history) },
	{ OPT_HISTORY_AGE, 0, 1, CHAT_DEFAULT_HISTORY_AGE, FIELD(history_age) },
	{ OPT_HISTORY_BYTES, 1, CHAT_RELAY_HDR_LEN + CHAT_MAX_MSG, 1ull << 32,
	  FIELD(history_bytes) },
	{ OPT_HISTORY_REPLICAS, 0, 1, 5, FIELD(history_replicas) },
	{ OPT_WRITE_THREADS, 0, 0, WRITE_POOL_MAX_THREADS, FIELD(write_threads) },
	{ OPT_COALESCE, 0, 0, CHAT_COALESCE_MAX_MS, FIELD(coalesce_ms) },
};

/* Store one numeric option; -1 when its value is bad. */
static int set_num(struct chat_server_opts *o, int c, const char *arg)
{
	unsigned long long v;
	size_t i;
	char *p;

	for (i = 0; i < sizeof(num_opts) / sizeof(num_opts[0]); i++) {
		const struct num_opt *n = &num_opts[i];

		if (n->opt != c)
			continue;
		if (parse_num(arg, n->suffix, n->lo, n->hi, &v) ||
		    (c == OPT_IDLE && v == 1))	/* PING after half of it */
			return -1;
		p = (char *)o + n->off;
		if (n->size == sizeof(uint64_t))
			*(uint64_t *)p = v;
		else
			*(uint32_t *)p = (uint32_t)v;
		return 0;
	}
	return -1;
}

static const char *opt_name(int c)
{
	const struct option *p;

	for (p = opts; p->name; p++)
		if (p->val == c)
			return p->name;
	return "?";
}

int main(int argc, char **argv)
{
	struct chat_server_opts o;
	struct chat_server *s;
	char err[256];
	int c, rc;

	chat_server_opts_default(&o);
	while ((c = getopt_long(argc, argv, "l:p:c:q:vh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN:
			o.listen = optarg;
			break;
		case OPT_NATS:
			o.nats = optarg;
			break;
		case 'v':
			o.verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			vcd_print_version("chat-server");
			return 0;
		case '?':
			usage(stderr);
			return 2;
		default:
			if (set_num(&o, c, optarg) < 0) {
				fprintf(stderr, "chat-server: bad value '%s' for --%s\n",
					optarg, opt_name(c));
				return 2;
			}
		}
	}
	if (optind != argc) {
		fprintf(stderr, "chat-server: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!o.nats != !o.relay_id) {
		fprintf(stderr, "chat-server: --nats and --relay-id go together\n");
		return 2;
	}
	s = chat_server_new(&o, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "chat-server: %s\n", err);
		return 1;
	}
	fprintf(stderr, "chat-server: listening on %s port %u (max %u clients)\n",
		o.listen, o.port, o.max_clients);
	rc = chat_server_run(s);
	chat_server_free(s);
	if (rc < 0) {
		fprintf(stderr, "chat-server: event loop: %s\n", strerror(-rc));
		return 1;
	}
	return 0;
}
