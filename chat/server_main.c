/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server_main.c - command line of chat-server.
 *
 * Owns: option parsing, --help text and the exit status.  Does not own
 * anything about serving (server.c).
 */
#include "server.h"

#include "frame.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
"usage: chat-server [--listen ADDR] [--port N] [--max-clients N] [--max-queue BYTES] [-v]\n"
"       chat-server --help | --version\n"
"\n"
"Relays end-to-end encrypted chat messages between clients (it never sees\n"
"their plaintext).  Protocol: docs/protocol.md.\n"
"\n"
"  --listen ADDR       numeric IPv4 or IPv6 address to bind (default 0.0.0.0;\n"
"                      e.g. 127.0.0.1, ::1, ::)\n"
"  --port N            TCP port (default %u)\n"
"  --max-clients N     clients served at once; more are refused (default %u)\n"
"  --max-queue BYTES   output bytes queued per client before it is\n"
"                      disconnected as too slow (default %u; suffix k or m)\n"
"  -v, --verbose       log joins, leaves and errors to stderr\n"
"  -h, --help          this text\n"
"      --version       print the version and exit\n"
"\n"
"SIGINT or SIGTERM closes every connection and exits 0.\n",
		CHAT_DEFAULT_PORT, CHAT_DEFAULT_MAX_CLIENTS, CHAT_DEFAULT_MAX_QUEUE);
}

/* Parse an unsigned number with an optional k/m suffix within [lo, hi]. */
static int parse_num(const char *s, unsigned long long lo, unsigned long long hi,
		     unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end == 'k' || *end == 'K')
		v <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		v <<= 20, end++;
	if (*end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "max-clients", required_argument, NULL, 'c' },
		{ "max-queue", required_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct chat_server_opts o = {
		.listen = "0.0.0.0",
		.port = CHAT_DEFAULT_PORT,
		.max_clients = CHAT_DEFAULT_MAX_CLIENTS,
		.max_queue = CHAT_DEFAULT_MAX_QUEUE,
	};
	struct chat_server *s;
	unsigned long long v;
	char err[256];
	int c, rc;

	while ((c = getopt_long(argc, argv, "l:p:c:q:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o.listen = optarg;
			break;
		case 'p':
			if (parse_num(optarg, 1, 65535, &v) < 0)
				goto bad;
			o.port = (unsigned)v;
			break;
		case 'c':
			if (parse_num(optarg, 1, 1000000, &v) < 0)
				goto bad;
			o.max_clients = (uint32_t)v;
			break;
		case 'q':
			if (parse_num(optarg, 1024, 1ull << 32, &v) < 0)
				goto bad;
			o.max_queue = (size_t)v;
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
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "chat-server: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
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
bad:
	fprintf(stderr, "chat-server: bad value '%s' for --%s\n", optarg,
		c == 'p' ? "port" : c == 'c' ? "max-clients" : "max-queue");
	return 2;
}
