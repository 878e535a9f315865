/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * main.c - vhost-user-crypto: command line, signals and the accept loop.
 *
 * Owns: option parsing, opening the crypto engine (lib/), the listening
 * UNIX socket and the takeover control socket next to it, serving one
 * front-end (QEMU) connection at a time and, when it goes away, freeing
 * everything of that connection and accepting the next one; the two ends
 * of a takeover: pausing (drain) and handing over when a successor asks,
 * exiting 0 once it has committed, serving on when it has not; and, with
 * --takeover, starting from a running daemon's state instead of a fresh
 * socket; under systemd, keeping the state in the service manager's fd
 * store as it changes (restart_state.c) and resuming from it at start.
 * SIGTERM/SIGINT end the daemon cleanly (exit 0) through a self-pipe.
 *
 * Does not own: the vhost-user protocol (vhost_user.c), the device logic
 * (crypto_device.c), the takeover conversation (takeover.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "crypto_engine.h"
#include "crypto_device.h"
#include "handover.h"
#include "log.h"
#include "restart_state.h"
#include "session_table.h"
#include "takeover.h"
#include "version.h"
#include "vhost_user.h"

static int stop_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	ssize_t r = write(stop_pipe[1], &sig, 1);

	(void)r;
	errno = saved;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: vhost-user-crypto --socket PATH [--engine auto|devcrypto|openssl]\n"
"                         [--max-sessions N] [--max-memory MIB] [--workers N]\n"
"                         [--takeover] [-v]... [--help] [--version]\n"
"\n"
"vhost-user back-end for QEMU's virtio-crypto device (cryptodev-vhost-user).\n"
"  --socket PATH       UNIX socket to listen on (QEMU: -chardev socket,path=PATH)\n"
"  --engine KIND       auto (default: host /dev/crypto if usable, else OpenSSL),\n"
"                      devcrypto (host /dev/crypto only), openssl (software)\n"
"  --max-sessions N    sessions per guest (default 1024; NOSPC when full)\n"
"  --max-memory MIB    memory one guest may make the daemon hold for its\n"
"                      requests in flight: queued jobs, bounce buffers\n"
"                      (default 64; over it a request gets status ERR)\n"
"  --workers N         threads executing requests (default: online CPUs;\n"
"                      0 runs requests on the connection thread)\n"
"  --takeover          take over the live connection of the daemon serving\n"
"                      PATH (its sessions, rings and guest memory) and carry\n"
"                      on; options not given are inherited from it\n"
"  -v, --verbose       more log output (repeat for debug)\n"
"  --help              this text\n"
"  --version           print the version and exit\n");
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || s[0] == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_err("%s exists and is not a socket", path);
			return -1;
		}
		unlink(path);	/* stale socket of an earlier run (tk_probe) */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 4) < 0) {
		log_err("cannot listen on %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

struct daemon {
	const char *path;
	char ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int lfd, ctl_lfd, ctl_peer;	/* -1: none */
	struct ho_reader ctl_rd;
	struct ce_engine *eng;
	struct ho_config cfg;
	struct crypto_device *dev;	/* NULL: no front-end connected */
	struct vu_conn conn;
	struct restart_state rs;	/* under systemd: the fd store */
};

/* What a takeover or the fd store would be given now. */
static struct ho_live live_of(struct daemon *d, uint64_t paused_ns)
{
	return (struct ho_live){ .listen_fd = d->lfd, .ctl_listen_fd = d->ctl_lfd,
				 .conn = d->dev ? &d->conn : NULL,
				 .cfg = d->cfg, .paused_ns = paused_ns };
}

/* The fd store follows every change of the connection's state. */
static void on_changed(struct vu_conn *c, uint32_t request, unsigned ring,
		       void *arg)
{
	struct daemon *d = arg;
	struct ho_live live = live_of(d, 0);

	(void)c;
	rs_sync(&d->rs, &live, request, ring);
}

/* A connection (accepted, taken over or resumed) starts being served. */
static void serve_connection(struct daemon *d)
{
	struct ho_live live;

	d->conn.changed = on_changed;
	d->conn.changed_arg = d;
	rs_attach(&d->rs, d->dev);
	live = live_of(d, 0);
	rs_sync(&d->rs, &live, 0, 0);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* r: what vu_serve returned (0 EOF, -errno), 1 when the daemon exits. */
static void end_connection(struct daemon *d, int r)
{
	struct ho_live live;

	cd_destroy(d->dev);
	close(d->conn.fd);
	d->dev = NULL;
	if (r == 1)
		return;		/* exiting: the store keeps the connection */
	live = live_of(d, 0);
	rs_sync(&d->rs, &live, 0, 0);	/* nothing of it is resumed */
	if (r < 0)
		log_warn("connection dropped: %s", strerror(-r));
	else
		log_info("front-end disconnected; waiting for the next one");
}

static void accept_connection(struct daemon *d)
{
	int cfd = accept4(d->lfd, NULL, NULL, SOCK_CLOEXEC), r;

	if (cfd < 0) {
		if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN)
			log_warn("accept: %s", strerror(errno));
		return;
	}
	r = cd_create(&d->dev, d->eng, d->cfg.max_sessions, d->cfg.workers);
	if (r) {
		log_err("cannot set up device state: %s", strerror(-r));
		d->dev = NULL;
		close(cfd);
		return;
	}
	cd_set_memory_max(d->dev, d->cfg.max_memory);
	log_info("front-end connected");
	vu_conn_init(&d->conn, cfd, d->dev);
	serve_connection(d);
}

static void drop_ctl_peer(struct daemon *d)
{
	close(d->ctl_peer);
	d->ctl_peer = -1;
}

/* A successor said HELLO: pause, hand over.  0: it has committed. */
static int hand_over(struct daemon *d, unsigned pid)
{
	uint64_t t0 = mono_ns();
	struct ho_live live = live_of(d, t0);
	char err[300] = "";
	int r;

	log_info("takeover: pid %u asks; finishing %u requests in flight", pid,
		 d->dev ? cd_inflight(d->dev) : 0);
	if (d->dev)
		cd_drain(d->dev);	/* completions pushed, guest signalled */
	r = tk_give(d->ctl_peer, &d->ctl_rd, &live, err, sizeof(err));
	if (r == 0) {
		log_info("takeover: handed over to pid %u after %.1f ms; exiting",
			 pid, (double)(mono_ns() - t0) / 1e6);
		return 0;
	}
	log_warn("takeover by pid %u failed after %.1f ms: %s; serving on",
		 pid, (double)(mono_ns() - t0) / 1e6, err);
	if (d->dev)
		cd_resume(d->dev);
	return r;
}

/* One event of the control sockets (wake index 1: the peer, 2: the
 * listener; the peer first, so that one that hung up is gone before the
 * next is accepted).  True when the daemon has handed over and must exit. */
static bool control_event(struct daemon *d, int which)
{
	char err[200] = "";
	unsigned pid;
	int r;

	if (which == 2) {
		r = tk_accept(d->ctl_lfd);
		if (r < 0)
			return false;
		if (d->ctl_peer >= 0) {
			log_warn("takeover: one at a time; a second control "
				 "connection refused");
			tk_refuse(r, "another takeover is under way");
			return false;
		}
		d->ctl_peer = r;
		return false;
	}
	r = tk_read_hello(d->ctl_peer, &d->ctl_rd, &pid, err, sizeof(err));
	if (r == 0)
		return false;
	if (r < 0) {
		log_info("takeover: control connection ended: %s", err);
		drop_ctl_peer(d);
		return false;
	}
	r = hand_over(d, pid);
	drop_ctl_peer(d);
	return r == 0;
}

/* Serve until SIGTERM (false) or a committed takeover (true). */
static bool serve(struct daemon *d)
{
	for (;;) {
		int wake[3] = { stop_pipe[0], d->ctl_peer, d->ctl_lfd };
		int r;

		if (d->dev) {
			r = vu_serve_until(&d->conn, wake, 3);
			if (r <= 0) {
				end_connection(d, r);
				continue;
			}
		} else {
			struct pollfd pfd[4] = { { wake[0], POLLIN, 0 },
						 { wake[1], POLLIN, 0 },
						 { wake[2], POLLIN, 0 },
						 { d->lfd, POLLIN, 0 } };

			if (poll(pfd, 4, -1) < 0) {
				if (errno != EINTR)
					log_err("poll: %s", strerror(errno));
				continue;
			}
			for (r = 0; r < 4 && !pfd[r].revents; r++)
				;
			if (r == 4)
				continue;
			if (r == 3) {
				accept_connection(d);
				continue;
			}
			r++;
		}
		if (r == 1)
			return false;
		if (control_event(d, r - 1))
			return true;
	}
}

/* Take what a rebuild produced (takeover or fd store) into d. */
static void adopt(struct daemon *d, struct ho_restore *r)
{
	d->eng = r->eng;
	d->cfg = r->cfg;
	d->lfd = r->listen_fd;
	d->ctl_lfd = r->ctl_listen_fd;
	if (r->has_conn) {
		d->dev = r->dev;
		d->conn = r->conn;
	}
	r->eng = NULL;
	r->dev = NULL;
	r->has_conn = false;
	r->listen_fd = r->ctl_listen_fd = -1;
	ho_restore_free(r);
}

/* Serve what was adopted: what queued up meanwhile is not lost. */
static void resume_adopted(struct daemon *d)
{
	if (d->dev) {
		serve_connection(d);
		cd_resume(d->dev);
	}
}

/* --takeover: the running daemon's state instead of a fresh start. */
static int take_over(struct daemon *d, const struct ho_config *own,
		     unsigned given)
{
	struct ho_restore r;
	char err[300] = "";
	unsigned pid, sessions;
	uint64_t paused;

	ho_restore_init(&r, own, given, d->path, d->ctl_path);
	if (tk_take(d->ctl_path, &r, stop_pipe[0], err, sizeof(err))) {
		log_err("takeover of %s failed: %s", d->path, err);
		return -1;
	}
	pid = r.pid;
	sessions = r.sessions;
	paused = r.paused_ns;
	adopt(d, &r);
	log_info("takeover: serving %s from pid %u on after a pause of %.1f ms "
		 "(%s, %u sessions, %u requests waiting, engine %s, %u workers)",
		 d->path, pid, (double)(mono_ns() - paused) / 1e6,
		 d->dev ? "front-end connected" : "no front-end", sessions,
		 d->dev ? cd_waiting(d->dev) : 0, ce_engine_describe(d->eng),
		 d->cfg.workers);
	resume_adopted(d);
	return 0;
}

/* Under systemd: resume what the fd store kept.  1 resumed, 0 nothing
 * to resume (d->lfd / ctl_lfd may come from the store), -1 refused. */
static int resume_stored(struct daemon *d, const struct ho_config *own,
			 unsigned given)
{
	struct ho_restore r;
	unsigned failed, sessions;
	char err[300] = "";
	int e;

	ho_restore_init(&r, own, given, d->path, d->ctl_path);
	e = rs_resume(&d->rs, &r, &d->lfd, &d->ctl_lfd, &failed, err, sizeof(err));
	if (e <= 0) {
		if (e < 0)
			log_err("fd store: the stored state was refused (%s); "
				"starting afresh, the guest loses the device", err);
		return e;
	}
	sessions = r.sessions;
	adopt(d, &r);
	log_warn("fd store: resumed %s (%s, %u sessions, %u requests in "
		 "flight at the end of the last run answered ERR, %u waiting)",
		 d->path, d->dev ? "front-end connected" : "no front-end",
		 sessions, failed, d->dev ? cd_waiting(d->dev) : 0);
	resume_adopted(d);
	return 1;
}

/* A fresh start: the engine, both sockets. */
static int start_fresh(struct daemon *d, const char *engine_name)
{
	char err[256] = "";
	int r;

	if (d->lfd < 0 && tk_probe(d->ctl_path)) {
		log_err("%s is served by a running daemon (%s answers): stop it "
			"or start this one with --takeover", d->path, d->ctl_path);
		return -1;
	}
	if (ce_engine_open(&d->eng, d->cfg.engine, NULL, err, sizeof(err))) {
		log_err("engine %s: %s", engine_name, err);
		return -1;
	}
	if (d->lfd >= 0 && d->ctl_lfd >= 0)
		return 0;	/* the listening sockets from the fd store */
	if (d->lfd < 0)
		d->lfd = listen_on(d->path);
	if (d->lfd < 0)
		return -1;
	if (d->ctl_lfd >= 0)
		return 0;
	r = tk_listen(d->ctl_path);
	if (r < 0) {
		log_err("cannot listen on %s: %s", d->ctl_path,
			r == -EEXIST ? "it exists and is not a socket"
				     : strerror(-r));
		return -1;
	}
	d->ctl_lfd = r;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "engine", required_argument, NULL, 'e' },
		{ "max-sessions", required_argument, NULL, 'm' },
		{ "max-memory", required_argument, NULL, 'M' },
		{ "workers", required_argument, NULL, 'w' },
		{ "takeover", no_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static struct daemon d = { .lfd = -1, .ctl_lfd = -1, .ctl_peer = -1,
				   .conn.fd = -1 };
	const char *engine_name = "auto";
	unsigned long max_sessions = 1024, workers;
	unsigned long max_memory_mib = MB_DEFAULT_MAX >> 20;
	enum ce_kind kind = CE_KIND_AUTO;
	struct ho_config own;
	unsigned given = 0;
	bool takeover = false, handed_over = false;
	struct sigaction sa;
	int verbosity = LOG_WARN, c, r, rc = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	workers = ncpu > 0 ? (unsigned long)ncpu : 1;
	while ((c = getopt_long(argc, argv, "s:e:m:M:w:vh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			d.path = optarg;
			break;
		case 'e':
			engine_name = optarg;
			given |= HO_GIVEN_ENGINE;
			if (!strcmp(optarg, "auto"))
				kind = CE_KIND_AUTO;
			else if (!strcmp(optarg, "devcrypto"))
				kind = CE_KIND_DEVICE;
			else if (!strcmp(optarg, "openssl"))
				kind = CE_KIND_SOFTWARE;
			else {
				fprintf(stderr, "vhost-user-crypto: --engine must be "
					"auto, devcrypto or openssl, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'm':
			given |= HO_GIVEN_MAX_SESSIONS;
			if (parse_uint(optarg, 1000000, &max_sessions) ||
			    max_sessions == 0) {
				fprintf(stderr, "vhost-user-crypto: --max-sessions "
					"must be 1..1000000, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'M':
			given |= HO_GIVEN_MAX_MEMORY;
			if (parse_uint(optarg, 1u << 20, &max_memory_mib) ||
			    max_memory_mib == 0) {
				fprintf(stderr, "vhost-user-crypto: --max-memory "
					"must be 1..1048576 (MiB), not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'w':
			given |= HO_GIVEN_WORKERS;
			if (parse_uint(optarg, 256, &workers)) {
				fprintf(stderr, "vhost-user-crypto: --workers must "
					"be 0..256, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'T':
			takeover = true;
			break;
		case 'v':
			verbosity++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			vcd_print_version("vhost-user-crypto");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vhost-user-crypto: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!d.path) {
		fprintf(stderr, "vhost-user-crypto: --socket PATH is required\n");
		usage(stderr);
		return 2;
	}
	if (tk_ctl_path(d.path, d.ctl_path, sizeof(d.ctl_path))) {
		fprintf(stderr, "vhost-user-crypto: socket path too long: %s\n",
			d.path);
		return 2;
	}
	log_set_level(verbosity);
	{
		struct timespec now;

		/* session ids never repeat across lifetimes (session_table.c) */
		clock_gettime(CLOCK_REALTIME, &now);
		st_ids_start((uint64_t)now.tv_sec * 1000000000u +
			     (uint64_t)now.tv_nsec);
	}
	own = (struct ho_config){ .engine = kind,
				  .max_sessions = (unsigned)max_sessions,
				  .workers = (unsigned)workers,
				  .max_memory = (size_t)max_memory_mib << 20 };
	d.cfg = own;

	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_err("pipe: %s", strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rs_init(&d.rs);
	if (takeover)
		r = take_over(&d, &own, given);
	else if ((r = d.rs.on ? resume_stored(&d, &own, given) : 0) == 1)
		r = 0;
	else
		r = start_fresh(&d, engine_name);
	if (r) {
		if (d.lfd >= 0)
			close(d.lfd);
		if (d.ctl_lfd >= 0)
			close(d.ctl_lfd);
		if (d.eng)
			ce_engine_close(d.eng);
		rs_finish(&d.rs, false);
		return 1;
	}
	if (!d.dev) {
		struct ho_live live = live_of(&d, 0);

		rs_sync(&d.rs, &live, 0, 0);
	}
	log_info("listening on %s (engine %s, %u workers, max %u sessions%s)",
		 d.path, ce_engine_describe(d.eng), d.cfg.workers,
		 d.cfg.max_sessions, d.rs.on ? ", state in the fd store" : "");
	fs_notify_ready(d.dev ? "serving (resumed)" : "listening");

	handed_over = serve(&d);
	log_info("exiting");
	fs_notify_stopping();
	if (d.dev)
		end_connection(&d, 1);	/* drained: nothing in flight */
	if (d.ctl_peer >= 0)
		drop_ctl_peer(&d);
	close(d.lfd);
	close(d.ctl_lfd);
	/* after a takeover the sockets are the successor's; under systemd
	 * the next start takes them from the fd store */
	if (!handed_over && !d.rs.on) {
		unlink(d.path);
		unlink(d.ctl_path);
	}
	rs_finish(&d.rs, handed_over);
	ce_engine_close(d.eng);
	return rc;
}
