/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * main.c - vhost-user-crypto: command line, signals and the accept loop.
 *
 * Owns: option parsing, opening the crypto engine (lib/), the listening
 * UNIX socket, serving one front-end (QEMU) connection at a time and, when
 * it goes away, freeing everything of that connection and accepting the
 * next one (so -chardev socket,reconnect-ms=... works).  SIGTERM/SIGINT end
 * the daemon cleanly (exit 0) through a self-pipe.
 *
 * Does not own: the vhost-user protocol (vhost_user.c) or the device logic
 * (crypto_device.c).
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
#include "log.h"
#include "session_table.h"
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
"                         [-v]... [--help] [--version]\n"
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
		unlink(path);	/* stale socket of an earlier run */
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "engine", required_argument, NULL, 'e' },
		{ "max-sessions", required_argument, NULL, 'm' },
		{ "max-memory", required_argument, NULL, 'M' },
		{ "workers", required_argument, NULL, 'w' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = NULL, *engine_name = "auto";
	unsigned long max_sessions = 1024, workers;
	unsigned long max_memory_mib = MB_DEFAULT_MAX >> 20;
	enum ce_kind kind = CE_KIND_AUTO;
	struct ce_engine *eng = NULL;
	struct sigaction sa;
	char err[256] = "";
	int verbosity = LOG_WARN, lfd, c, rc = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	workers = ncpu > 0 ? (unsigned long)ncpu : 1;
	while ((c = getopt_long(argc, argv, "s:e:m:M:w:vh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'e':
			engine_name = optarg;
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
			if (parse_uint(optarg, 1000000, &max_sessions) ||
			    max_sessions == 0) {
				fprintf(stderr, "vhost-user-crypto: --max-sessions "
					"must be 1..1000000, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'M':
			if (parse_uint(optarg, 1u << 20, &max_memory_mib) ||
			    max_memory_mib == 0) {
				fprintf(stderr, "vhost-user-crypto: --max-memory "
					"must be 1..1048576 (MiB), not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'w':
			if (parse_uint(optarg, 256, &workers)) {
				fprintf(stderr, "vhost-user-crypto: --workers must "
					"be 0..256, not '%s'\n", optarg);
				return 2;
			}
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
	if (!path) {
		fprintf(stderr, "vhost-user-crypto: --socket PATH is required\n");
		usage(stderr);
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

	if (ce_engine_open(&eng, kind, NULL, err, sizeof(err))) {
		log_err("engine %s: %s", engine_name, err);
		return 1;
	}
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

	lfd = listen_on(path);
	if (lfd < 0) {
		ce_engine_close(eng);
		return 1;
	}
	log_info("listening on %s (engine %s, %lu workers, max %lu sessions)",
		 path, ce_engine_describe(eng), workers, max_sessions);

	for (;;) {
		struct pollfd pfd[2] = { { lfd, POLLIN, 0 },
					 { stop_pipe[0], POLLIN, 0 } };
		struct crypto_device *dev;
		struct vu_conn conn;
		int cfd, r;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			rc = 1;
			break;
		}
		if (pfd[1].revents)
			break;
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				log_warn("accept: %s", strerror(errno));
			continue;
		}
		r = cd_create(&dev, eng, (unsigned)max_sessions, (unsigned)workers);
		if (r) {
			log_err("cannot set up device state: %s", strerror(-r));
			close(cfd);
			continue;
		}
		cd_set_memory_max(dev, (size_t)max_memory_mib << 20);
		log_info("front-end connected");
		vu_conn_init(&conn, cfd, dev);
		r = vu_serve(&conn, stop_pipe[0]);
		cd_destroy(dev);
		close(cfd);
		if (r == 1)
			break;
		if (r < 0)
			log_warn("connection dropped: %s", strerror(-r));
		else
			log_info("front-end disconnected; waiting for the next one");
	}
	log_info("exiting");
	close(lfd);
	unlink(path);
	ce_engine_close(eng);
	return rc;
}
