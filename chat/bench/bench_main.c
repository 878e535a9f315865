/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_main.c - chat-bench: command line and the phases of one run.
 *
 * Owns: options, resolving the server addresses, dealing the clients over
 * them, raising RLIMIT_NOFILE, the phases (connect all clients, let the
 * join notices settle, optional hold, send for --seconds, drain) and the
 * result line
 *   deliveries_per_s=... p50_ms=... p99_ms=... max_ms=... errors=...
 * preceded, with several servers, by the per-server counts and the same-
 * and cross-server latency lines.
 * Does not own: per-connection protocol work (bench_conn.c).
 *
 * Pacing: with --rate R > 0 every sender sends R msgs/s on its own clock.
 * With --rate 0 each sender keeps --window messages in flight: it sends
 * again as soon as the probe client (the last one, never a sender) has
 * received an earlier message of it, so the server is kept busy without
 * queueing without bound (which would only measure our own backlog).
 * errors counts failed or closed connections, ERROR/REFUSED frames,
 * messages that fail to parse or authenticate, and deliveries still missing
 * after the drain.
 * --ramp R (a reconnect storm): only the senders and the first few
 * receivers connect before sending; the others connect one by one, evenly
 * spread over the first R seconds of sending, which lasts R + T seconds.
 * A receiver owes the messages sent after its JOINED (earlier ones may
 * arrive or not, and HISTORY frames are not deliveries); the drain checks
 * every open client got all it owes, and each sender's messages once and
 * in order.
 */
#include "bench.h"

#include "crypto_engine.h"
#include "proto/fd_limit.h"
#include "proto/frame.h"
#include "proto/clock.h"
#include "proto/room_crypto.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CONNECTS_IN_FLIGHT	256
#define PHASE_LIMIT_NS		(120ull * 1000000000ull)
#define SETTLE_QUIET_NS		(300ull * 1000000ull)
#define DRAIN_LIMIT_NS		(3ull * 1000000000ull)
#define RAMP_EARLY_RECEIVERS	10	/* --ramp: receivers joined before sending */

static int error_lines;
static volatile sig_atomic_t stop_requested;	/* --senders 0: SIGTERM, SIGINT */

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

uint64_t bench_now_ns(void)
{
	return clock_mono_ns();
}

void bench_error(struct bench *b, const char *fmt, ...)
{
	va_list ap;

	(void)b;
	if (++error_lines > 20) {	/* do not flood the terminal */
		if (error_lines == 21)
			fputs("chat-bench: (more errors not shown)\n", stderr);
		return;
	}
	va_start(ap, fmt);
	fputs("chat-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: chat-bench {--port P [--host H] | --server HOST:PORT...}\n"
"                  --clients N --senders S --rate R\n"
"                  --size B --seconds T [--passphrase X | --raw | --redis | --nats]\n"
"                  [--open all|probe] [--window W] [--hold SECONDS]\n"
"                  [--ramp SECONDS] [--spin-us U] [-v]\n"
"       chat-bench --help | --version\n"
"\n"
"Opens N connections to a chat server; S of them send B-byte messages at R\n"
"messages/s each (0 = as fast as the server takes them) for T seconds.\n"
"Every message carries its send time; receivers measure the latency.\n"
"The last line printed is\n"
"  deliveries_per_s=... p50_ms=... p99_ms=... max_ms=... errors=...\n"
"With several servers it is preceded by\n"
"  servers=K clients=N1,N2,... senders=S1,S2,...\n"
"  same_server deliveries=... p50_ms=... p99_ms=... max_ms=...\n"
"  cross_server deliveries=... p50_ms=... p99_ms=... max_ms=...\n"
"(receivers on the sender's server, and on another one).\n"
"\n"
"  --port P          server port\n"
"  --host H          server address (default 127.0.0.1)\n"
"  --server HOST:PORT  a server ([ADDRESS]:PORT for IPv6), instead of\n"
"                    --host/--port; repeated (at most %u), the clients and\n"
"                    the senders are dealt round-robin over them (federated\n"
"                    relays: every client joins the same room)\n"
"  --passphrase X    seal each message end-to-end (chat/room_crypto) as\n"
"                    chat-client does; receivers authenticate and decrypt\n"
"  --open all|probe  with --passphrase: every receiver opens each message\n"
"                    (all, default: all clients' crypto runs in this one\n"
"                    process) or only the probe client does and the others\n"
"                    just count frames (probe: latency from the probe only)\n"
"  --raw             newline-delimited text instead of frames (drives\n"
"                    `ncat --broker`); B includes the newline, B >= 36\n"
"  --redis           drive redis-server: every client SUBSCRIBEs to one\n"
"                    channel (RESP3), senders PUBLISH the --raw text\n"
"  --nats            drive nats-server: every client SUBscribes to one\n"
"                    subject (echo off), senders PUB the --raw text\n"
"  --window W        rate 0: messages in flight per sender (default 64)\n"
"  --spin-us U       keep polling (epoll_wait without sleeping) for U us\n"
"                    after the last event before sleeping (default 200,\n"
"                    0 = always sleep): on one machine a sleeping\n"
"                    receiver makes the server pay for waking it on\n"
"                    every write, which remote clients never cost\n"
"  --hold SECONDS    after connecting, idle this long before sending\n"
"                    (prints \"connected N clients\" on stderr first)\n"
"  --ramp SECONDS    reconnect storm (frames only): the senders and the\n"
"                    first %u receivers connect first; the others connect\n"
"                    evenly spread over SECONDS while the senders send, for\n"
"                    SECONDS + T in all; a client owes the messages sent after\n"
"                    its JOINED.  Prints before the result line\n"
"                    ramp_s=... joined=J/N last_join_s=... join_p50_ms=...\n"
"                    join_p99_ms=... join_max_ms=... connect_failures=...\n"
"                    (last_join_s: since sending began; join: connect to JOINED)\n"
"  -v, --verbose     report every garbled message\n"
"  -h, --help        this text\n"
"      --version     print the version and exit\n"
"S must be smaller than N (the last client is never a sender).  Frames: B >= 16.\n"
"S = 0 only receives (what another chat-bench sends to the same servers,\n"
"in the same order: more clients than one process may open): it prints\n"
"\"connected N clients\" on stderr, receives until --seconds pass or\n"
"SIGTERM/SIGINT, and reports what arrived.\n",
		CLIENT_SERVERS_MAX, RAMP_EARLY_RECEIVERS);
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

/* Resolve every server into b->target. */
static int resolve(struct bench *b)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	size_t i;

	for (i = 0; i < b->servers.n; i++) {
		const struct client_server *sv = &b->servers.list[i];
		struct bench_target *t = &b->target[i];
		struct addrinfo *ai;
		int rc = getaddrinfo(sv->host, sv->port, &hints, &ai);

		if (rc) {
			fprintf(stderr, "chat-bench: %s: %s\n", sv->label, gai_strerror(rc));
			return -1;
		}
		if (ai->ai_addrlen > sizeof(t->addr)) {
			fprintf(stderr, "chat-bench: %s: address too long\n", sv->label);
			freeaddrinfo(ai);
			return -1;
		}
		t->family = ai->ai_family;
		memcpy(t->addr, ai->ai_addr, ai->ai_addrlen);
		t->addr_len = (uint32_t)ai->ai_addrlen;
		freeaddrinfo(ai);
	}
	b->n_targets = (uint32_t)b->servers.n;
	return 0;
}

static uint64_t sent_total(const struct bench *b)
{
	uint64_t n = 0;
	uint32_t s;

	for (s = 0; s < b->senders; s++)
		n += b->sent[s];
	return n;
}

/* With several servers: how the clients were dealt, and the latency of
 * receivers on the sender's server and on the others (printed before the
 * result line, which stays last). */
static void print_per_server(const struct bench *b)
{
	const struct lat_hist *h[2] = { &b->lat_same, &b->lat_cross };
	static const char *const name[2] = { "same_server", "cross_server" };
	uint32_t i;

	if (b->n_targets < 2)
		return;
	printf("servers=%u clients=", b->n_targets);
	for (i = 0; i < b->n_targets; i++)
		printf("%s%u", i ? "," : "", b->target[i].clients);
	printf(" senders=");
	for (i = 0; i < b->n_targets; i++)
		printf("%s%u", i ? "," : "", b->target[i].senders);
	printf(" sent=%llu\n", (unsigned long long)sent_total(b));
	for (i = 0; i < 2; i++)
		printf("%s deliveries=%llu p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
		       name[i], (unsigned long long)h[i]->count,
		       lat_hist_quantile_ms(h[i], 0.50), lat_hist_quantile_ms(h[i], 0.99),
		       (double)h[i]->max_ns / 1e6);
}

/* --ramp: when late client i connects (the late ones evenly over the ramp,
 * the first at t0). */
static uint64_t ramp_time(const struct bench *b, uint32_t i)
{
	uint32_t late = b->clients - b->early;

	return b->t0_ns + (uint64_t)(b->ramp * 1e9 * (double)(i - b->early) / late);
}

/* --ramp: connect the late clients whose time has come. */
static void ramp_connect(struct bench *b, uint64_t now)
{
	while (b->ramp_next < b->clients && ramp_time(b, b->ramp_next) <= now)
		bconn_connect(b, &b->conns[b->ramp_next++]);
}

/* --ramp: how the late clients joined (before the result line). */
static void print_ramp(const struct bench *b)
{
	if (b->ramp <= 0)
		return;
	printf("ramp_s=%.1f joined=%u/%u last_join_s=%.3f join_p50_ms=%.3f "
	       "join_p99_ms=%.3f join_max_ms=%.3f connect_failures=%u\n",
	       b->ramp, b->n_ready, b->clients,
	       b->last_join_ns > b->t0_ns ? (double)(b->last_join_ns - b->t0_ns) / 1e9 : 0.0,
	       lat_hist_quantile_ms(&b->join_lat, 0.50),
	       lat_hist_quantile_ms(&b->join_lat, 0.99),
	       (double)b->join_lat.max_ns / 1e6, b->n_join_failed);
}

/* Run one loop turn, waking for the next paced send or ramp connect. */
static void turn(struct bench *b, uint64_t until_ns)
{
	uint64_t now = bench_now_ns(), wake = until_ns;
	uint32_t s;
	int ms;

	if (b->sending && b->ramp_next < b->clients &&
	    ramp_time(b, b->ramp_next) < wake)
		wake = ramp_time(b, b->ramp_next);
	if (b->sending && b->rate > 0)
		for (s = 0; s < b->senders; s++)
			if (b->next_ns[s] < wake)
				wake = b->next_ns[s];
	ms = wake <= now ? 0 : (int)((wake - now + 999999) / 1000000);
	if (ms > 100)
		ms = 100;
	if (ms > 0 && now - b->last_event_ns < b->spin_ns)
		ms = 0;		/* events are flowing: poll, do not sleep */
	if (ev_loop_turn(b->loop, ms) > 0)
		b->last_event_ns = bench_now_ns();
}

/* Before each wait: senders send what their pacing allows (the wait is
 * bounded by turn(), not here). */
static int pace(struct ev_loop *loop, void *arg)
{
	struct bench *b = arg;
	uint64_t now;
	uint32_t s;

	(void)loop;
	if (!b->sending)
		return -1;
	now = bench_now_ns();
	ramp_connect(b, now);
	for (s = 0; s < b->senders; s++) {
		struct bconn *c = &b->conns[s];
		int n = 0;

		if (c->state != BC_OPEN || c->out_off < c->out_len)
			continue;	/* closed, or still writing the last burst */
		if (b->rate > 0) {
			while (b->next_ns[s] <= now && n < 1000) {
				if (bconn_send_one(b, c) < 0)
					break;
				b->next_ns[s] += (uint64_t)(1e9 / b->rate);
				n++;
			}
		} else {
			while (b->sent[s] - b->probe_got[s] < b->window) {
				if (bconn_send_one(b, c) < 0)
					break;
				n++;
			}
		}
		if (n)
			bconn_flush(b, c);
	}
	return -1;	/* turn() bounds the wait itself */
}

/* Connect the first n clients (all of them, or --ramp's early ones). */
static void phase_connect(struct bench *b, uint32_t n)
{
	uint64_t deadline = bench_now_ns() + PHASE_LIMIT_NS;
	/* Raw mode cannot see when the server accepted (no greeting), and
	 * ncat listens with a short backlog: connect nearly one at a time. */
	uint32_t next = 0, in_flight = b->mode == BENCH_RAW ? 2 : CONNECTS_IN_FLIGHT;

	while (b->n_ready + b->n_closed < n) {
		/* Keep a bounded number of handshakes in flight. */
		while (next < n && next - b->n_ready - b->n_closed < in_flight)
			bconn_connect(b, &b->conns[next++]);
		if (bench_now_ns() > deadline) {
			bench_error(b, "only %u of %u clients connected in time",
				    b->n_ready, n);
			b->errors += n - b->n_ready - b->n_closed;
			b->n_join_failed += n - b->n_ready - b->n_closed;
			break;
		}
		turn(b, deadline);
	}
	if (b->n_closed)
		bench_error(b, "%u of %u clients failed to connect", b->n_closed, n);
	b->ramp_next = n;
}

/*
 * Raw mode has no greeting, and a server with a short listen backlog (ncat)
 * may not have accepted a connection that looks connected here: client 0
 * repeats a "#" line until every other client has seen one.
 */
static void phase_rollcall(struct bench *b)
{
	uint64_t deadline = bench_now_ns() + PHASE_LIMIT_NS, next = 0;
	struct bconn *c0 = &b->conns[0];

	c0->greeted = 1;
	b->n_greeted = 1;
	while (b->n_greeted < b->n_ready && bench_now_ns() < deadline &&
	       c0->state == BC_OPEN) {
		if (bench_now_ns() >= next) {
			if (bconn_send_text(b, c0, "#roll call\n") == 0)
				bconn_flush(b, c0);
			next = bench_now_ns() + 200000000ull;
		}
		turn(b, next);
	}
	if (b->n_greeted < b->n_ready) {
		bench_error(b, "%u clients never received anything",
			    b->n_ready - b->n_greeted);
		b->errors += b->n_ready - b->n_greeted;
	}
}

/* Let the presence notices of the connect phase drain: wait for quiet. */
static void phase_settle(struct bench *b, double hold_s)
{
	uint64_t deadline = bench_now_ns() + PHASE_LIMIT_NS;
	uint64_t last = bench_now_ns(), seen = b->bytes_in, hold_end;

	while (bench_now_ns() < deadline && bench_now_ns() - last < SETTLE_QUIET_NS) {
		turn(b, bench_now_ns() + SETTLE_QUIET_NS);
		if (b->bytes_in != seen) {
			seen = b->bytes_in;
			last = bench_now_ns();
		}
	}
	/* --senders 0 announces it is in the room (once, not after receiving) */
	if (hold_s <= 0 && (b->senders || b->t0_ns))
		return;
	fprintf(stderr, "connected %u clients\n", b->n_ready);
	hold_end = bench_now_ns() + (uint64_t)(hold_s * 1e9);
	while (bench_now_ns() < hold_end)
		turn(b, hold_end);
}

/* The room every client joins: with --passphrase, room "chat-bench"
 * under that passphrase (its keys are derived now, before connecting);
 * without, a fixed id (the server does not care what it means). */
static int choose_room(struct bench *b)
{
	static const char plain_id[CHAT_ROOM_ID_LEN] = "chat-bench room";
	int rc;

	memcpy(b->room, plain_id, CHAT_ROOM_ID_LEN);
	if (b->mode != BENCH_FRAMES || !b->passphrase)
		return 0;
	b->keys = calloc(1, sizeof(*b->keys));
	if (!b->keys)
		return -1;
	rc = room_derive_keys(b->passphrase, strlen(b->passphrase), "chat-bench",
			      b->keys);
	if (rc < 0) {
		fprintf(stderr, "chat-bench: key derivation failed: %s\n", strerror(-rc));
		return -1;
	}
	memcpy(b->room, b->keys->id, CHAT_ROOM_ID_LEN);
	return 0;
}

static int setup_e2e(struct bench *b)
{
	char err[256];
	uint32_t s;
	int rc;

	b->seal = calloc(b->senders + 1, sizeof(*b->seal));
	if (!b->seal)
		return -1;
	if (b->mode != BENCH_FRAMES || !b->passphrase)
		return 0;
	for (s = 0; s < b->clients; s++)
		if (b->conns[s].id > b->max_id)
			b->max_id = b->conns[s].id;
	b->sender_of_id = calloc((size_t)b->max_id + 1, sizeof(*b->sender_of_id));
	b->guards = calloc(b->clients, sizeof(*b->guards));
	if (!b->sender_of_id || !b->guards)
		return -1;
	for (s = 0; s < b->senders; s++)
		b->sender_of_id[b->conns[s].id] = s + 1;
	if (ce_engine_open(&b->eng, CE_KIND_AUTO, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "chat-bench: crypto engine: %s\n", err);
		return -1;
	}
	rc = 0;
	for (s = 0; s < b->senders && rc == 0; s++) {
		rc = room_ctx_new(&b->seal[s], b->eng, b->keys, err, sizeof(err));
		if (rc == 0)
			room_ctx_set_sender(b->seal[s], b->conns[s].id);
	}
	if (rc == 0)
		rc = room_ctx_new(&b->open, b->eng, b->keys, err, sizeof(err));
	room_keys_wipe(b->keys);
	if (rc < 0) {
		fprintf(stderr, "chat-bench: room context: %s\n", err);
		return -1;
	}
	fprintf(stderr, "chat-bench: e2e sealing on %s\n", ce_engine_describe(b->eng));
	return 0;
}

/* --senders 0: receive until --seconds pass or a stop signal, then until
 * the input is quiet; the rate is over the time spent receiving. */
static void phase_receive_only(struct bench *b)
{
	uint64_t now = bench_now_ns();

	b->t0_ns = now;
	b->t_end_ns = now + (uint64_t)(b->seconds * 1e9);
	b->measuring = 1;
	while (!stop_requested && bench_now_ns() < b->t_end_ns)
		turn(b, b->t_end_ns);
	if (bench_now_ns() < b->t_end_ns) {
		b->t_end_ns = bench_now_ns();
		b->seconds = (double)(b->t_end_ns - b->t0_ns) / 1e9;
	}
	phase_settle(b, 0);
}

/* What open client c is owed now: the others' messages sent after it
 * joined (a sender sends only once it is in the room). */
static uint64_t owed(const struct bench *b, const struct bconn *c)
{
	return b->sent_all - c->owed_from - (c->sender >= 0 ? b->sent[c->sender] : 0);
}

/* Over the open clients: deliveries owed and not (yet) received, and
 * deliveries beyond what was owed (a message received twice). */
static uint64_t owed_missing(const struct bench *b, uint64_t *extra)
{
	uint64_t missing = 0;
	uint32_t i;

	*extra = 0;
	for (i = 0; i < b->clients; i++) {
		const struct bconn *c = &b->conns[i];
		uint64_t o = owed(b, c);

		if (c->state != BC_OPEN)
			continue;
		if (c->got_owed < o)
			missing += o - c->got_owed;
		else
			*extra += c->got_owed - o;
	}
	return missing;
}

/* --ramp: late clients connecting that are not in the room yet (without,
 * phase_connect counted those as errors). */
static uint32_t joins_pending(const struct bench *b)
{
	return b->ramp > 0 ? b->ramp_next - b->n_ready - b->n_closed : 0;
}

static void report_clients(const struct bench *b)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	uint32_t s;

	for (s = 0; s < b->clients; s++) {
		lo = b->conns[s].got < lo ? b->conns[s].got : lo;
		hi = b->conns[s].got > hi ? b->conns[s].got : hi;
		if (!b->conns[s].got)
			fprintf(stderr, "chat-bench: client %u got nothing (state %u)\n", s, b->conns[s].state);
	}
	for (s = 0; s < b->senders; s++)
		fprintf(stderr, "chat-bench: sender %u sent %llu\n", s,
			(unsigned long long)b->sent[s]);
	fprintf(stderr, "chat-bench: per-client deliveries %llu..%llu\n",
		(unsigned long long)lo, (unsigned long long)hi);
}

static void phase_send(struct bench *b)
{
	uint64_t now = bench_now_ns(), missing, extra, target, drain_end;
	uint32_t s, closed;

	if (!b->senders) {
		phase_receive_only(b);
		return;
	}
	b->t0_ns = now;
	b->t_end_ns = now + (uint64_t)((b->ramp + b->seconds) * 1e9);
	for (s = 0; s < b->senders; s++)	/* spread the senders' phases */
		b->next_ns[s] = now + (b->rate > 0 ?
			(uint64_t)(1e9 / b->rate * s / b->senders) : 0);
	b->sending = b->measuring = 1;
	while (bench_now_ns() < b->t_end_ns)
		turn(b, b->t_end_ns);
	b->sending = 0;
	/* Drain: every open client gets what it is owed, and the late
	 * clients still connecting join (they are owed nothing more). */
	missing = owed_missing(b, &extra);
	target = b->deliveries_owed + missing;
	closed = b->n_closed;
	drain_end = bench_now_ns() + DRAIN_LIMIT_NS;
	while ((b->deliveries_owed < target || joins_pending(b)) &&
	       b->n_closed == closed && bench_now_ns() < drain_end)
		turn(b, drain_end);
	if (b->verbose)
		report_clients(b);
	if (joins_pending(b)) {
		bench_error(b, "%u clients not in the room after the drain",
			    joins_pending(b));
		b->errors += joins_pending(b);
	}
	missing = owed_missing(b, &extra);
	if (missing) {
		bench_error(b, "%llu deliveries missing after the drain",
			    (unsigned long long)missing);
		b->errors += missing;
	}
	if (extra) {	/* a message delivered twice */
		bench_error(b, "%llu deliveries more than sent",
			    (unsigned long long)extra);
		b->errors += extra;
	}
}

static int parse_args(struct bench *b, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "host", required_argument, NULL, 'H' },
		{ "server", required_argument, NULL, 'A' },
		{ "clients", required_argument, NULL, 'n' },
		{ "senders", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "size", required_argument, NULL, 'b' },
		{ "seconds", required_argument, NULL, 't' },
		{ "passphrase", required_argument, NULL, 'P' },
		{ "raw", no_argument, NULL, 'R' },
		{ "redis", no_argument, NULL, 'D' },
		{ "nats", no_argument, NULL, 'N' },
		{ "window", required_argument, NULL, 'w' },
		{ "open", required_argument, NULL, 'O' },
		{ "hold", required_argument, NULL, 'o' },
		{ "ramp", required_argument, NULL, 'm' },
		{ "spin-us", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	double v, have_port = 0, clients = -1, senders = -1, rate = -1, size = -1,
	       seconds = -1, window = 64, spin_us = 200;
	const char *host = NULL;
	char err[256];
	int c, li = 0;

	while ((c = getopt_long(argc, argv, "vh", opts, &li)) != -1) {
		double *dst = NULL, lo = 0, hi = 0;

		switch (c) {
		case 'p': dst = &have_port; lo = 1; hi = 65535; break;
		case 'n': dst = &clients; lo = 2; hi = 1000000; break;
		case 's': dst = &senders; lo = 0; hi = 1000000; break;
		case 'r': dst = &rate; lo = 0; hi = 1e7; break;
		case 'b': dst = &size; lo = 1; hi = ROOM_MAX_BODY; break;
		case 't': dst = &seconds; lo = 0.1; hi = 3600; break;
		case 'w': dst = &window; lo = 1; hi = 1e6; break;
		case 'o': dst = &b->hold; lo = 0; hi = 3600; break;
		case 'm': dst = &b->ramp; lo = 0.1; hi = 3600; break;
		case 'S': dst = &spin_us; lo = 0; hi = 1e6; break;
		case 'H': host = optarg; break;
		case 'A':
			if (client_servers_add_arg(&b->servers, optarg, err,
						   sizeof(err)) < 0) {
				fprintf(stderr, "chat-bench: --server: %s\n", err);
				return -1;
			}
			break;
		case 'P': b->passphrase = optarg; break;
		case 'R': b->mode = BENCH_RAW; break;
		case 'D': b->mode = BENCH_REDIS; break;
		case 'N': b->mode = BENCH_NATS; break;
		case 'O':
			if (strcmp(optarg, "all") && strcmp(optarg, "probe")) {
				fprintf(stderr, "chat-bench: --open takes all or probe\n");
				return -1;
			}
			b->open_all = !strcmp(optarg, "all");
			break;
		case 'v': b->verbose = 1; break;
		case 'h': usage(stdout); exit(0);
		case 'V': vcd_print_version("chat-bench"); exit(0);
		default: usage(stderr); return -1;
		}
		if (dst) {
			if (parse_double(optarg, lo, hi, &v) < 0) {
				fprintf(stderr, "chat-bench: bad value '%s' for --%s\n",
					optarg, opts[li].name);
				return -1;
			}
			*dst = v;
		}
	}
	if (optind != argc || !(have_port || b->servers.n) || clients < 0 ||
	    senders < 0 || rate < 0 || size < 0 || seconds < 0) {
		fprintf(stderr, "chat-bench: --port (or --server), --clients, --senders, "
			"--rate, --size and --seconds are required\n");
		usage(stderr);
		return -1;
	}
	if (b->servers.n && (have_port || host)) {
		fprintf(stderr, "chat-bench: --server or --host/--port, not both\n");
		return -1;
	}
	if (!b->servers.n) {
		char port[16];

		snprintf(port, sizeof(port), "%u", (unsigned)have_port);
		if (client_servers_add(&b->servers, host ? host : "127.0.0.1", port,
				       err, sizeof(err)) < 0) {
			fprintf(stderr, "chat-bench: --host: %s\n", err);
			return -1;
		}
	}
	b->clients = (uint32_t)clients;
	b->senders = (uint32_t)senders;
	b->rate = rate;
	b->size = (uint32_t)size;
	b->seconds = seconds;
	b->window = (uint32_t)window;
	b->spin_ns = (uint64_t)(spin_us * 1000);
	if (b->senders >= b->clients) {
		fprintf(stderr, "chat-bench: --senders must be below --clients\n");
		return -1;
	}
	if (!b->senders && b->passphrase) {
		fprintf(stderr, "chat-bench: --senders 0 cannot open sealed messages: no --passphrase\n");
		return -1;
	}
	if (b->mode != BENCH_FRAMES && b->passphrase) {
		fprintf(stderr, "chat-bench: --raw, --redis and --nats send text: no --passphrase\n");
		return -1;
	}
	if (b->size < (b->mode != BENCH_FRAMES ? 36u : 16u)) {
		fprintf(stderr, "chat-bench: --size must be at least %u in this mode\n",
			b->mode != BENCH_FRAMES ? 36u : 16u);
		return -1;
	}
	if (b->ramp > 0 && (b->mode != BENCH_FRAMES || !b->senders ||
			    (b->passphrase && !b->open_all))) {
		/* a late client must see JOINED and every message's send time */
		fprintf(stderr, "chat-bench: --ramp needs frames, senders and every "
			"receiver opening (not --raw/--redis/--nats, --senders 0 "
			"or --open probe)\n");
		return -1;
	}
	if (b->mode == BENCH_FRAMES && !b->passphrase && b->size > CHAT_MAX_MSG) {
		fprintf(stderr, "chat-bench: --size above %u\n", (unsigned)CHAT_MAX_MSG);
		return -1;
	}
	return 0;
}

static void free_bench(struct bench *b)
{
	uint32_t i;

	for (i = 0; b->conns && i < b->clients; i++)
		bconn_close(b, &b->conns[i], 0);
	for (i = 0; b->seal && i < b->senders; i++)
		room_ctx_free(b->seal[i]);
	room_ctx_free(b->open);
	ce_engine_close(b->eng);
	free(b->seal);
	for (i = 0; b->guards && i < b->clients; i++)
		replay_guard_free(&b->guards[i]);
	free(b->guards);
	if (b->keys) {
		room_keys_wipe(b->keys);
		free(b->keys);
	}
	free(b->sender_of_id);
	free(b->conns);
	free(b->sent);
	free(b->probe_got);
	free(b->next_ns);
	free(b->scratch);
	lat_hist_free(&b->lat);
	lat_hist_free(&b->lat_same);
	lat_hist_free(&b->lat_cross);
	lat_hist_free(&b->join_lat);
	free(b->next_seq);
	ev_loop_free(b->loop);
}

int main(int argc, char **argv)
{
	struct bench b = { .mode = BENCH_FRAMES, .open_all = 1 };
	uint32_t i;
	int rc = 1;

	if (parse_args(&b, argc, argv) < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (!b.senders) {
		struct sigaction sa = { .sa_handler = on_stop_signal };

		sigemptyset(&sa.sa_mask);	/* no SA_RESTART: epoll_wait returns */
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	fd_limit_raise(b.clients + 64UL);
	if (resolve(&b) < 0)
		return 1;
	b.loop = ev_loop_new(1024);
	b.conns = calloc(b.clients, sizeof(*b.conns));
	b.sent = calloc(b.senders + 1, sizeof(*b.sent));	/* + 1: S may be 0 */
	b.probe_got = calloc(b.senders + 1, sizeof(*b.probe_got));
	b.next_ns = calloc(b.senders + 1, sizeof(*b.next_ns));
	b.scratch = malloc(CHAT_HDR_LEN + CHAT_MAX_PAYLOAD + 64 * 1024);
	if (!b.loop || !b.conns || !b.sent || !b.probe_got || !b.next_ns ||
	    !b.scratch || lat_hist_init(&b.lat) < 0 ||
	    (b.n_targets > 1 && (lat_hist_init(&b.lat_same) < 0 ||
				 lat_hist_init(&b.lat_cross) < 0)) ||
	    (b.ramp > 0 && (lat_hist_init(&b.join_lat) < 0 ||
			    !(b.next_seq = calloc((size_t)b.clients * b.senders,
						  sizeof(*b.next_seq)))))) {
		fprintf(stderr, "chat-bench: out of memory\n");
		goto out;
	}
	for (i = 0; i < b.clients; i++) {
		b.conns[i].idx = i;
		b.conns[i].sender = i < b.senders ? (int32_t)i : -1;
		b.conns[i].w.fd = -1;
		b.conns[i].srv = (uint8_t)(i % b.n_targets);
		b.target[b.conns[i].srv].clients++;
		if (i < b.senders)
			b.target[b.conns[i].srv].senders++;
	}
	/* --ramp: the senders, then the early receivers (the probe first). */
	b.early = b.ramp > 0 && b.clients - b.senders > RAMP_EARLY_RECEIVERS ?
		  b.senders + RAMP_EARLY_RECEIVERS : b.clients;
	b.probe = b.ramp > 0 ? b.senders : b.clients - 1;
	ev_loop_set_data(b.loop, &b);
	ev_loop_set_before_wait(b.loop, pace, &b);

	if (choose_room(&b) < 0)
		goto out;
	phase_connect(&b, b.early);
	if (b.mode == BENCH_RAW)
		phase_rollcall(&b);
	phase_settle(&b, b.hold);
	if (setup_e2e(&b) < 0)
		goto out;
	phase_send(&b);
	print_per_server(&b);
	print_ramp(&b);
	printf("deliveries_per_s=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%llu\n",
	       (double)b.deliveries_window / (b.ramp + b.seconds),
	       lat_hist_quantile_ms(&b.lat, 0.50), lat_hist_quantile_ms(&b.lat, 0.99),
	       (double)b.lat.max_ns / 1e6, (unsigned long long)b.errors);
	rc = 0;
out:
	fflush(stdout);
	free_bench(&b);
	return rc;
}
