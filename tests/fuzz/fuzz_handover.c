/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_handover.c - libFuzzer target: takeover records from a hostile
 * "running daemon" into a successor's rebuild (handover_msg.c parsing and
 * ordering, handover.c's fd checks and rebuild of engine, device, memory,
 * rings and sessions), then the rebuilt rings processed.
 *
 * Input framing (the fuzzer's, not the protocol's): repeated
 *   u16 length, u8 fd mode, then length bytes of one record.
 * Each record gets as many fds as its header announces (at most 3), of the
 * kind its type needs when fd mode is even (BEGIN: a UNIX stream listener
 * bound to the expected path and a seqpacket listener bound to the
 * control path; CONN: one end of a socketpair; REGION: a 64 KiB memfd;
 * QUEUE: eventfds), or pipes when it is odd, to exercise the fd checks.
 * The same records also go through a running-side reader, and every record
 * that parses must encode back to bytes that parse to the same struct.
 * Everything is freed per input (ASan checks leaks; fds are counted).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "handover.h"
#include "handover_msg.h"
#include "log.h"
#include "session_table.h"

static char sock_path[108], ctl_path[108];
static int listen_fd = -1, ctl_fd = -1, memfd = -1;

static int bound(int type, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 1))
		abort();
	return fd;
}

static void init_once(void)
{
	char dir[] = "/tmp/fuzz-handover.XXXXXX";

	log_set_level(getenv("FUZZ_VERBOSE") ? LOG_DEBUG : -1);
	if (!mkdtemp(dir))
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/vu.sock", dir);
	snprintf(ctl_path, sizeof(ctl_path), "%s/vu.sock.takeover", dir);
	listen_fd = bound(SOCK_STREAM, sock_path);
	ctl_fd = bound(SOCK_SEQPACKET, ctl_path);
	memfd = memfd_create("fuzz-handover", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, 64 << 10))
		abort();
	st_ids_start(1000);
}

/* The fds a record of this type wants, right kind or pipes. */
static unsigned make_fds(const uint8_t *rec, size_t len, int mode, int *fds)
{
	uint32_t want;
	uint16_t type;
	unsigned n = 0;

	if (len < HO_HDR_LEN)
		return 0;
	memcpy(&type, rec + 6, 2);
	memcpy(&want, rec + 12, 4);
	if (want > HO_MAX_FDS)
		want = HO_MAX_FDS;
	while (n < want) {
		int p[2], sv[2];

		if (mode & 1) {
			if (pipe2(p, O_CLOEXEC))
				abort();
			close(p[1]);
			fds[n++] = p[0];
			continue;
		}
		switch (type) {
		case HO_BEGIN:
			fds[n] = dup(n == 0 ? listen_fd : ctl_fd);
			n++;
			break;
		case HO_CONN:
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
				abort();
			close(sv[1]);
			fds[n++] = sv[0];
			break;
		case HO_REGION:
			fds[n++] = dup(memfd);
			break;
		default:
			fds[n++] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			break;
		}
	}
	return n;
}

/* What parses must encode back to the same record. */
static void roundtrip(const uint8_t *rec, size_t len, unsigned nfds)
{
	static struct ho_record a, b;
	static uint8_t buf[HO_MAX_RECORD];
	char err[200];
	size_t n;

	if (ho_parse(rec, len, nfds, &a, err, sizeof(err)))
		return;
	n = ho_encode(&a, buf);
	if (ho_parse(buf, n, nfds, &b, err, sizeof(err)) ||
	    memcmp(&a, &b, sizeof(a)))
		abort();
}

static unsigned open_fds(void)
{
	unsigned n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ho_config own = { .engine = CE_KIND_SOFTWARE,
					      .max_sessions = 64,
					      .workers = 0,
					      .max_memory = 1u << 20 };
	struct ho_restore r;
	struct ho_reader run;
	unsigned fds_before;
	bool complete = false;
	char err[300];

	if (memfd < 0)
		init_once();
	fds_before = open_fds();
	ho_restore_init(&r, &own, HO_GIVEN_ENGINE | HO_GIVEN_WORKERS |
			HO_GIVEN_MAX_SESSIONS, sock_path, ctl_path);
	ho_reader_init(&run, HO_ROLE_RUNNING);
	while (size >= 3) {
		size_t len = (size_t)data[0] | (size_t)data[1] << 8;
		int mode = data[2], fds[HO_MAX_FDS];
		struct ho_record rec;
		unsigned nfds;
		int e;

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		nfds = make_fds(data, len, mode, fds);
		roundtrip(data, len, nfds);
		(void)ho_read(&run, data, len, nfds, &rec, err, sizeof(err));
		e = ho_restore_feed(&r, data, len, fds, nfds, err, sizeof(err));
		data += len;
		size -= len;
		if (e == 1)
			complete = true;
		if (getenv("FUZZ_VERBOSE") && (e < 0 || e == 2))
			fprintf(stderr, "fuzz_handover: %s\n",
				e == 2 ? "COMMIT after the whole state" : err);
		if (e < 0 || e == 2)
			break;
	}
	if (complete && r.dev)
		cd_resume(r.dev);	/* the rebuilt rings, as the successor does */
	ho_restore_free(&r);
	if (open_fds() != fds_before)
		abort();		/* an fd leaked */
	return 0;
}
