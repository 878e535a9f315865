/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * restart_state.c - the live state in systemd's file descriptor store, and
 * resuming from it (see restart_state.h; docs/backend.md, "Restart and
 * crash under systemd").
 *
 * Stored names are ROLE-GENERATION; a replaced fd is stored under a new
 * generation before the old name is dropped, and an fd that went away is
 * dropped only after the state that no longer names it is stored, so the
 * store always holds a complete set for the newest state; a restart takes
 * the newest generation of each role.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "restart_state.h"
#include "vhost_user.h"

enum {
	R_LISTEN, R_CONTROL, R_CONN,
	R_MEM, R_KICK = R_MEM + 8, R_CALL = R_KICK + 8, R_ERR = R_CALL + 8,
	R_STATE = R_ERR + 8, R_INFLIGHT,
};
_Static_assert(R_INFLIGHT + 1 == RS_ROLES, "roles");
_Static_assert(CD_MAX_QUEUES == 8 && GM_MAX_REGIONS == 8, "8 rings, 8 regions");

#define STATE_MAX (64u << 20)

static void role_name(unsigned i, char *out, size_t len)
{
	static const char *const fixed[] = { "listen", "control", "conn" };

	if (i < R_MEM)
		snprintf(out, len, "%s", fixed[i]);
	else if (i < R_KICK)
		snprintf(out, len, "mem%u", i - R_MEM);
	else if (i < R_CALL)
		snprintf(out, len, "kick%u", i - R_KICK);
	else if (i < R_ERR)
		snprintf(out, len, "call%u", i - R_CALL);
	else if (i < R_STATE)
		snprintf(out, len, "err%u", i - R_ERR);
	else
		snprintf(out, len, "%s", i == R_STATE ? "state" : "inflight");
}

/* "ROLE-GEN" -> role index and generation; -1 if it is not ours. */
static int parse_name(const char *name, uint64_t *gen)
{
	const char *dash = strrchr(name, '-');
	char role[FS_NAME_MAX], want[16], *end;

	if (!dash || dash == name || (size_t)(dash - name) >= sizeof(role))
		return -1;
	memcpy(role, name, (size_t)(dash - name));
	role[dash - name] = 0;
	errno = 0;
	*gen = strtoull(dash + 1, &end, 10);
	if (errno || !dash[1] || *end)
		return -1;
	for (unsigned i = 0; i < RS_ROLES; i++) {
		role_name(i, want, sizeof(want));
		if (!strcmp(role, want))
			return (int)i;
	}
	return -1;
}

void rs_init(struct restart_state *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->log_fd = -1;
	rs->gen = 1;
	rs->on = fs_available();
	if (!rs->on)
		return;
	rs->npassed = fs_take(&rs->passed);
	if (rs->npassed < 0) {
		log_warn("fd store: passed fds unreadable: %s", strerror(-rs->npassed));
		rs->npassed = 0;
	}
}

static void put_role(struct restart_state *rs, unsigned i, int fd)
{
	char name[FS_NAME_MAX], role[16];
	int r;

	role_name(i, role, sizeof(role));
	snprintf(name, sizeof(name), "%s-%" PRIu64, role, rs->gen++);
	r = fs_put(name, fd);
	if (r) {
		log_warn("fd store: cannot store %s: %s", name, strerror(-r));
		return;
	}
	if (rs->stored[i][0])
		fs_drop(rs->stored[i]);
	snprintf(rs->stored[i], FS_NAME_MAX, "%s", name);
}

static void drop_role(struct restart_state *rs, unsigned i)
{
	if (!rs->stored[i][0])
		return;
	fs_drop(rs->stored[i]);
	rs->stored[i][0] = 0;
}

/* fd >= 0: (re)store it under role i; -1: drop the role once the new
 * state is stored. */
static void set_role(struct restart_state *rs, unsigned i, int fd)
{
	rs->gone[i] = fd < 0;
	if (fd >= 0)
		put_role(rs, i, fd);
}

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static int append(void *arg, const uint8_t *rec, size_t len, const int *fds,
		  unsigned nfds)
{
	struct buf *b = arg;

	(void)fds;	/* they are stored under their roles */
	(void)nfds;
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 1 << 16;
		uint8_t *n;

		while (cap < b->len + len)
			cap *= 2;
		if (cap > STATE_MAX || !(n = malloc(cap)))
			return -ENOMEM;
		if (b->p) {
			memcpy(n, b->p, b->len);
			explicit_bzero(b->p, b->cap);
			free(b->p);
		}
		b->p = n;
		b->cap = cap;
	}
	memcpy(b->p + b->len, rec, len);
	b->len += len;
	return 0;
}

/* The records BEGIN .. END in a new sealed memfd, stored as the state. */
static void write_state(struct restart_state *rs, const struct ho_live *live)
{
	struct buf b = { 0 };
	int fd = -1, r = ho_capture(live, append, &b);
	size_t off = 0;

	if (!r) {
		fd = memfd_create("vuc-state", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		r = fd < 0 ? -errno : 0;
	}
	while (!r && off < b.len) {
		ssize_t n = write(fd, b.p + off, b.len - off);

		if (n < 0 && errno != EINTR)
			r = -errno;
		else if (n > 0)
			off += (size_t)n;
	}
	if (!r && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
				F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		r = -errno;
	if (!r)
		put_role(rs, R_STATE, fd);
	else
		log_warn("fd store: state not written: %s", strerror(-r));
	if (fd >= 0)
		close(fd);
	if (b.p) {
		explicit_bzero(b.p, b.cap);	/* session keys */
		free(b.p);
	}
}

void rs_sync(struct restart_state *rs, const struct ho_live *live,
	     uint32_t request, unsigned ring)
{
	struct crypto_device *d = live->conn ? live->conn->dev : NULL;
	bool all = request == 0;

	if (!rs->on)
		return;
	if (!rs->stored[R_LISTEN][0])
		put_role(rs, R_LISTEN, live->listen_fd);
	if (!rs->stored[R_CONTROL][0])
		put_role(rs, R_CONTROL, live->ctl_listen_fd);
	if (all)
		set_role(rs, R_CONN, d ? live->conn->fd : -1);
	if (all || request == VU_SET_MEM_TABLE) {
		for (unsigned i = 0; i < GM_MAX_REGIONS; i++) {
			struct gm_region_desc g;

			set_role(rs, R_MEM + i,
				 d && cd_mem_region(d, i, &g) == 0 ? g.fd : -1);
		}
	}
	for (unsigned i = 0; i < CD_MAX_QUEUES; i++) {
		struct cd_queue_state s = { .kick_fd = -1, .call_fd = -1,
					    .err_fd = -1 };
		bool this = ring == i;

		if (d)
			cd_queue_export(d, i, &s);
		if (all || request == VU_RESET_OWNER ||
		    (this && (request == VU_SET_VRING_KICK ||
			      request == VU_GET_VRING_BASE)))
			set_role(rs, R_KICK + i, s.kick_fd);
		if (all || (this && request == VU_SET_VRING_CALL))
			set_role(rs, R_CALL + i, s.call_fd);
		if (all || (this && request == VU_SET_VRING_ERR))
			set_role(rs, R_ERR + i, s.err_fd);
	}
	write_state(rs, live);
	for (unsigned i = 0; i < RS_ROLES; i++) {
		if (rs->gone[i])
			drop_role(rs, i);
		rs->gone[i] = false;
	}
}

void rs_attach(struct restart_state *rs, struct crypto_device *dev)
{
	if (!rs->on)
		return;
	if (!rs->log) {
		int r = il_create(&rs->log, &rs->log_fd);

		if (r) {
			log_warn("fd store: no in-flight log: %s", strerror(-r));
			return;
		}
		put_role(rs, R_INFLIGHT, rs->log_fd);
	}
	cd_set_inflight_log(dev, rs->log);
}

/* The newest passed fd of each role (-1: none); the others dropped. */
static void pick(struct restart_state *rs, int *fd_of)
{
	uint64_t best[RS_ROLES] = { 0 };

	for (unsigned i = 0; i < RS_ROLES; i++)
		fd_of[i] = -1;
	for (int k = 0; k < rs->npassed; k++) {
		uint64_t gen;
		int i = parse_name(rs->passed[k].name, &gen);

		if (i < 0) {
			log_warn("fd store: '%s' is not ours: dropped",
				 rs->passed[k].name);
			fs_drop(rs->passed[k].name);
			continue;
		}
		if (gen >= rs->gen)
			rs->gen = gen + 1;
		if (fd_of[i] >= 0 && gen < best[i]) {
			fs_drop(rs->passed[k].name);
			continue;
		}
		if (fd_of[i] >= 0)
			fs_drop(rs->stored[i]);
		fd_of[i] = rs->passed[k].fd;
		best[i] = gen;
		snprintf(rs->stored[i], FS_NAME_MAX, "%s", rs->passed[k].name);
	}
}

static int dup_of(const int *fd_of, unsigned i)
{
	return fd_of[i] < 0 ? -1 : fcntl(fd_of[i], F_DUPFD_CLOEXEC, 0);
}

/* The fds a record needs, by role: how many (-1: one is missing). */
static int fds_for(const uint8_t *rec, size_t len, const int *fd_of, int *fds)
{
	uint16_t type;
	uint32_t idx = 0, flags = 0;
	int n = 0;

	if (len < HO_HDR_LEN)
		return 0;
	memcpy(&type, rec + 6, 2);
	if (len >= HO_HDR_LEN + 12) {
		memcpy(&idx, rec + HO_HDR_LEN, 4);
		memcpy(&flags, rec + HO_HDR_LEN + 8, 4);
	}
	switch (type) {
	case HO_BEGIN:
		fds[n++] = dup_of(fd_of, R_LISTEN);
		fds[n++] = dup_of(fd_of, R_CONTROL);
		break;
	case HO_CONN:
		fds[n++] = dup_of(fd_of, R_CONN);
		break;
	case HO_REGION:
		fds[n++] = idx < 8 ? dup_of(fd_of, R_MEM + idx) : -1;
		break;
	case HO_QUEUE:
		if (idx >= 8)
			break;
		if (flags & HO_Q_KICK_FD)
			fds[n++] = dup_of(fd_of, R_KICK + idx);
		if (flags & HO_Q_CALL_FD)
			fds[n++] = dup_of(fd_of, R_CALL + idx);
		if (flags & HO_Q_ERR_FD)
			fds[n++] = dup_of(fd_of, R_ERR + idx);
		break;
	default:
		break;
	}
	for (int i = 0; i < n; i++) {
		if (fds[i] < 0) {
			for (int k = 0; k < n; k++)
				if (fds[k] >= 0)
					close(fds[k]);
			return -1;
		}
	}
	return n;
}

/* Feed the stored records to r: 1 when END was reached. */
static int replay(int state_fd, const int *fd_of, struct ho_restore *r,
		  char *err, size_t errlen)
{
	struct stat st;
	uint8_t *p;
	size_t off = 0;
	int e = 0;

	if (fstat(state_fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < (off_t)HO_HDR_LEN || (uint64_t)st.st_size > STATE_MAX) {
		snprintf(err, errlen, "the stored state is not a state file");
		return -EINVAL;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, state_fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "the stored state: %s", strerror(errno));
		return -errno;
	}
	while (e == 0) {
		int fds[HO_MAX_FDS];
		uint32_t blen;
		size_t len;
		int n;

		if ((size_t)st.st_size - off < HO_HDR_LEN) {
			snprintf(err, errlen, "the stored state ends before END");
			e = -EPROTO;
			break;
		}
		memcpy(&blen, p + off + 8, 4);
		len = HO_HDR_LEN + (blen < HO_MAX_BODY ? blen : HO_MAX_BODY);
		if (len > (size_t)st.st_size - off)
			len = (size_t)st.st_size - off;
		n = fds_for(p + off, len, fd_of, fds);
		if (n < 0) {
			snprintf(err, errlen, "the store lacks an fd the state "
				 "names (record at byte %zu)", off);
			e = -EBADF;
			break;
		}
		e = ho_restore_feed(r, p + off, len, fds, (unsigned)n, err, errlen);
		off += len;
	}
	munmap(p, (size_t)st.st_size);
	return e;
}

int rs_resume(struct restart_state *rs, struct ho_restore *r, int *lfd,
	      int *ctl_lfd, unsigned *failed, char *err, size_t errlen)
{
	int fd_of[RS_ROLES], e, ret;

	*lfd = *ctl_lfd = -1;
	*failed = 0;
	if (!rs->on || rs->npassed == 0)
		return 0;
	pick(rs, fd_of);
	if (fd_of[R_STATE] < 0) {
		*lfd = dup_of(fd_of, R_LISTEN);
		*ctl_lfd = dup_of(fd_of, R_CONTROL);
		ret = 0;
		goto out;
	}
	e = replay(fd_of[R_STATE], fd_of, r, err, errlen);
	if (e != 1) {
		ho_restore_free(r);
		for (unsigned i = 0; i < RS_ROLES; i++)
			drop_role(rs, i);
		ret = -1;
		goto out;
	}
	if (r->dev && fd_of[R_INFLIGHT] >= 0) {
		rs->log_fd = dup_of(fd_of, R_INFLIGHT);
		if (il_open(&rs->log, rs->log_fd) == 0) {
			cd_recover(r->dev, rs->log, failed);
		} else {
			log_warn("fd store: the in-flight log is unreadable; "
				 "resuming the rings from the state");
			close(rs->log_fd);
			rs->log_fd = -1;
			drop_role(rs, R_INFLIGHT);
		}
	}
	ret = 1;
out:
	for (int k = 0; k < rs->npassed; k++)
		close(rs->passed[k].fd);
	free(rs->passed);
	rs->passed = NULL;
	rs->npassed = 0;
	return ret;
}

void rs_finish(struct restart_state *rs, bool stop_all)
{
	if (rs->on && stop_all)
		for (unsigned i = 0; i < RS_ROLES; i++)
			drop_role(rs, i);
	il_close(rs->log);
	rs->log = NULL;
	if (rs->log_fd >= 0)
		close(rs->log_fd);
	rs->log_fd = -1;
	for (int k = 0; k < rs->npassed; k++)
		close(rs->passed[k].fd);
	free(rs->passed);
	rs->passed = NULL;
	rs->npassed = 0;
}
