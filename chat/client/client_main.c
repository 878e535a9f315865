/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_main.c - chat-client: command-line options (the relay list:
 * HOST [PORT] first, then each --server), passphrase, crypto engine and
 * the first connection, then the event loop with the terminal or the pipe
 * front end (which reconnects unless --no-reconnect).  Exit status 0 after a normal end, 1 with a one-line
 * reason on stderr otherwise, 2 for a usage error.
 *
 * Owns: argument parsing, signal setup, the order of setup and teardown.
 * Does not own: anything the other client_*.c files describe.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "client_failover.h"
#include "client_frontends.h"
#include "client_passphrase.h"
#include "version.h"

static volatile sig_atomic_t stop_flag, suspend_flag;

static void on_signal(int sig)
{
	if (sig == SIGTSTP)
		suspend_flag = 1;
	else
		stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: chat-client [--room NAME]... [--nick NAME] [--passphrase-file F]\n"
"                   [--crypto auto|device|software] [--crypto-device PATH]\n"
"                   [--linger SECONDS] [--history-file F] [--no-reconnect]\n"
"                   [--server HOST:PORT]... [HOST [PORT]]\n"
"       chat-client --help | --version\n"
"\n"
"Join end-to-end encrypted chat rooms relayed by chat-server at HOST\n"
"(IPv4, IPv6 or a host name), PORT %d by default.  A room's key comes from\n"
"the passphrase and the room's name only: the server sees neither.\n"
"\n"
"  --server HOST:PORT    a relay to use ([ADDRESS]:PORT for IPv6); repeat it\n"
"                        for relays federated with each other: the client\n"
"                        connects to the first that answers (HOST [PORT]\n"
"                        comes first), and when the connection is lost it\n"
"                        reconnects to the next, then the next, with\n"
"                        backoff (0.2 s doubling to 10 s, +-50 %%), rejoins\n"
"                        its rooms and shows nothing twice; what was said\n"
"                        while it was away is not shown (no history yet)\n"
"  --no-reconnect        end (exit 1) when the connection is lost, instead\n"
"                        of reconnecting (the default, with one relay too)\n"
"  --room NAME           the room to join (default %s); repeat it to be in\n"
"                        several rooms at once, the first is where typed\n"
"                        lines go (1..%d characters, no spaces)\n"
"  --nick NAME           your nickname (default $USER, else guest<id>)\n"
"  --passphrase-file F   read the room passphrase from the first line of F;\n"
"                        else CHAT_PASSPHRASE, else ask on the terminal\n"
"  --crypto KIND         AES engine: auto (device if it works, default),\n"
"                        device (cryptodev ABI), software (OpenSSL)\n"
"  --crypto-device PATH  device node for device/auto (default %s)\n"
"  --linger SECONDS      without a terminal: after stdin ends and what was\n"
"                        typed is sent, stay in the room this long printing\n"
"                        events (default 0), then leave\n"
"  --history-file F      on a terminal: keep the lines you type in F (mode\n"
"                        0600) between runs (default: in memory only)\n"
"  --help                this text\n"
"  --version             print the version and exit\n"
"\n"
"On a terminal: type and press Enter to send; /join ROOM, /part [ROOM],\n"
"/rooms, /nick NAME, /who, /quit, /help; GNU readline editing (~/.inputrc),\n"
"Up/Down and Ctrl+R for earlier lines.\n"
"Without one: each stdin line is a message to the first room (at most %u\n"
"bytes), each event one stdout line: '[HH:MM:SS] <nick> text' or\n"
"'[HH:MM:SS] * notice' ('[HH:MM:SS] #room ...' when in several rooms).\n",
		CHAT_DEFAULT_PORT, ROOM_DEFAULT_NAME, ROOM_NAME_MAX,
		CE_DEFAULT_DEVICE, CLIENT_MAX_TEXT);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nick", required_argument, NULL, 'n' },
		{ "room", required_argument, NULL, 'r' },
		{ "passphrase-file", required_argument, NULL, 'f' },
		{ "crypto", required_argument, NULL, 'c' },
		{ "crypto-device", required_argument, NULL, 'd' },
		{ "linger", required_argument, NULL, 'l' },
		{ "history-file", required_argument, NULL, 'H' },
		{ "server", required_argument, NULL, 's' },
		{ "no-reconnect", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *nick = NULL, *pass_file = NULL, *device = NULL;
	const char *history_file = NULL;
	enum ce_kind kind = CE_KIND_AUTO;
	double linger = 0;
	char pass[CLIENT_PASS_MAX], err[CLIENT_SERVERS_MAX * 160] = "", *end;
	size_t passlen = 0;
	struct ce_engine *eng = NULL;
	struct client_session s;
	struct client_loop loop = { 0 };
	struct client_frontend fe = { 0 };
	struct client_ui ui = { 0 };
	struct client_pipe *pipe_fe = NULL;
	struct client_tty *tty_fe = NULL;
	struct sigaction sa = { 0 };
	const char *rooms[CLIENT_ROOMS_MAX] = { ROOM_DEFAULT_NAME };
	size_t nrooms = 0;
	static struct client_servers servers;	/* --server, then HOST [PORT] */
	struct client_servers given = { 0 };
	int c, rc, status, reconnect = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': nick = optarg; break;
		case 'r':
			if (!room_name_valid(optarg)) {
				fprintf(stderr, "chat-client: --room: 1..%d characters, no spaces or control characters, not '%s'\n",
					ROOM_NAME_MAX, optarg);
				return 2;
			}
			if (nrooms == CLIENT_ROOMS_MAX) {
				fprintf(stderr, "chat-client: --room: at most %u rooms\n",
					CLIENT_ROOMS_MAX);
				return 2;
			}
			rooms[nrooms++] = optarg;
			break;
		case 'f': pass_file = optarg; break;
		case 'H': history_file = optarg; break;
		case 's':
			if (client_servers_add_arg(&given, optarg, err, sizeof(err))) {
				fprintf(stderr, "chat-client: --server: %s\n", err);
				return 2;
			}
			break;
		case 'R': reconnect = 0; break;
		case 'd': device = optarg; break;
		case 'c':
			if (ce_kind_parse(optarg, &kind)) {
				fprintf(stderr, "chat-client: --crypto: expected auto, device or software, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'l':
			linger = strtod(optarg, &end);
			if (*end || end == optarg || !(linger >= 0 && linger <= 86400)) {
				fprintf(stderr, "chat-client: --linger: expected seconds (0..86400), not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		case 'V': vcd_print_version("chat-client"); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind > 2 || (argc - optind < 1 && !given.n)) {
		usage(stderr);
		return 2;
	}
	if (argc - optind >= 1 &&
	    client_servers_add(&servers, argv[optind],
			       argc - optind == 2 ? argv[optind + 1] : NULL,
			       err, sizeof(err))) {
		fprintf(stderr, "chat-client: %s\n", err);
		return 2;
	}
	for (size_t i = 0; i < given.n; i++) {
		const struct client_server *g = &given.list[i];

		if (client_servers_add(&servers, g->host, g->port, err, sizeof(err))) {
			fprintf(stderr, "chat-client: --server: %s\n", err);
			return 2;
		}
	}
	if (!nrooms)
		nrooms = 1;	/* the default room */
	if (nick && !client_nick_valid(nick)) {
		fprintf(stderr, "chat-client: --nick: 1..%d characters, no spaces or control characters\n",
			CLIENT_NICK_MAX);
		return 2;
	}

	/* From here on Ctrl+C ends things through the loop (or interrupts the
	 * passphrase prompt, which then restores the echo). */
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if (client_passphrase_get(pass_file, pass, &passlen, err, sizeof(err))) {
		fprintf(stderr, "chat-client: %s\n", err);
		return 1;
	}
	rc = ce_engine_open(&eng, kind, device, err, sizeof(err));
	if (rc) {
		OPENSSL_cleanse(pass, sizeof(pass));
		fprintf(stderr, "chat-client: crypto engine: %s\n", err);
		return 1;
	}

	if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		tty_fe = client_tty_new(history_file);
		if (tty_fe)
			client_tty_bind(tty_fe, &loop, &fe, &ui);
		sa.sa_handler = on_signal;
		sigaction(SIGTSTP, &sa, NULL);
	} else {
		pipe_fe = client_pipe_new((int)(linger * 1000));
		if (pipe_fe)
			client_pipe_bind(pipe_fe, &loop, &fe, &ui);
	}
	if (!tty_fe && !pipe_fe) {
		OPENSSL_cleanse(pass, sizeof(pass));
		fprintf(stderr, "chat-client: out of memory\n");
		return 1;
	}
	/* scrypt for every room: about half a second each */
	rc = client_session_init(&s, eng, pass, passlen, nick, rooms, nrooms, &ui);
	if (rc) {
		OPENSSL_cleanse(pass, sizeof(pass));
		fprintf(stderr, "chat-client: %s\n",
			s.reason[0] ? s.reason : strerror(-rc));
		client_tty_free(tty_fe);
		client_pipe_free(pipe_fe);
		ce_engine_close(eng);
		return 1;
	}
	OPENSSL_cleanse(pass, sizeof(pass));
	loop.s = &s;
	loop.fe = &fe;
	loop.servers = &servers;
	loop.reconnect = reconnect;

	rc = stop_flag ? -EINTR :
	     client_failover_connect_first(&s, &servers, err, sizeof(err));
	if (rc == -EINTR) {
		s.status = 0;	/* interrupted before connecting */
	} else if (rc) {
		s.status = 1;
		snprintf(s.reason, sizeof(s.reason), "%s", err);
	} else {
		client_loop_run(&loop, &stop_flag, &suspend_flag);
	}

	client_tty_free(tty_fe);
	client_pipe_free(pipe_fe);
	status = s.status;
	if (status)
		fprintf(stderr, "chat-client: %s\n", s.reason);
	client_conn_close(&s.conn);
	client_session_fini(&s);
	ce_engine_close(eng);
	return status;
}
