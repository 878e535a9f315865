/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * takeover.c - the takeover control socket and conversation (see
 * takeover.h; the record layout is handover_msg.c, the rules are in
 * docs/backend.md, "Takeover").
 *
 * Every wait is a poll() with a deadline on CLOCK_MONOTONIC; every socket
 * is non-blocking, so a peer that stops reading or writing costs at most
 * the deadline.  Received fds are closed unless a record keeps them.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "takeover.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tk_ctl_path(const char *sock_path, char *out, size_t outlen)
{
	struct sockaddr_un sa;
	size_t n = strlen(sock_path) + strlen(TK_SUFFIX);

	if (n >= sizeof(sa.sun_path) || n >= outlen)
		return -ENAMETOOLONG;
	snprintf(out, outlen, "%s%s", sock_path, TK_SUFFIX);
	return 0;
}

static int addr_of(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int tk_listen(const char *ctl_path)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int fd, e;

	if (addr_of(ctl_path, &sa))
		return -ENAMETOOLONG;
	if (lstat(ctl_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(ctl_path);	/* stale: nobody answered (tk_probe) */
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	old = umask(077);	/* the socket file is created 0600 */
	e = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (e == 0)
		e = chmod(ctl_path, 0600);
	if (e == 0)
		e = listen(fd, 4);
	if (e) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static int connect_to(const char *ctl_path)
{
	struct sockaddr_un sa;
	int fd;

	if (addr_of(ctl_path, &sa))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

bool tk_probe(const char *ctl_path)
{
	int fd = connect_to(ctl_path);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* The peer runs as our user (SO_PEERCRED). */
static bool same_uid(int fd, pid_t *pid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	if (pid)
		*pid = cr.pid;
	return cr.uid == geteuid();
}

int tk_accept(int ctl_lfd)
{
	pid_t pid = 0;
	int fd = accept4(ctl_lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (!same_uid(fd, &pid)) {
		log_warn("takeover: control connection from pid %d of another "
			 "user refused", (int)pid);
		close(fd);
		return -EPERM;
	}
	log_info("takeover: control connection from pid %d", (int)pid);
	return fd;
}

/* Wait for events on fd (and stop_fd, if >= 0) until deadline: 1 fd
 * ready, 0 timeout, -EINTR stop_fd readable, -errno. */
static int wait_fd(int fd, short events, int stop_fd, long long deadline)
{
	for (;;) {
		struct pollfd p[2] = { { fd, events, 0 }, { stop_fd, POLLIN, 0 } };
		long long left = deadline - now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(p, 2, left > 60000 ? 60000 : (int)left);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && p[1].revents)
			return -EINTR;
		if (r > 0 && p[0].revents)
			return 1;
	}
}

static int send_rec(int fd, const uint8_t *buf, size_t len, const int *fds,
		    unsigned nfds, long long deadline)
{
	char cbuf[CMSG_SPACE(sizeof(int) * HO_MAX_FDS)];
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds > HO_MAX_FDS)
		return -EINVAL;
	if (nfds) {
		struct cmsghdr *cm;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	for (;;) {
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		int r;

		if (n == (ssize_t)len)
			return 0;
		if (n >= 0)
			return -EIO;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		r = wait_fd(fd, POLLOUT, -1, deadline);
		if (r <= 0)
			return r ? r : -ETIMEDOUT;
	}
}

int tk_send(int fd, const uint8_t *rec, size_t len, const int *fds,
	    unsigned nfds, int timeout_ms)
{
	return send_rec(fd, rec, len, fds, nfds, now_ms() + timeout_ms);
}

/*
 * Receive one record: its length (> 0), -EPIPE at EOF, -EAGAIN when
 * nothing is there (deadline 0: do not wait), -ETIMEDOUT, -EINTR
 * (stop_fd), -EMSGSIZE for a record or fd list too long, -errno.
 */
static ssize_t recv_rec(int fd, uint8_t *buf, size_t cap, int *fds,
			unsigned *nfds, int stop_fd, long long deadline)
{
	char cbuf[CMSG_SPACE(sizeof(int) * HO_MAX_FDS)];
	struct iovec iov = { buf, cap };
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;
	int r;

	bool reset = false;

	*nfds = 0;
	for (;;) {
		mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cbuf,
				      .msg_controllen = sizeof(cbuf) };
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		/* a peer that closed with our records unread resets the
		 * connection; the error comes once, before what it had sent
		 * (its ABORT, say) */
		if (errno == ECONNRESET && !reset) {
			reset = true;
			continue;
		}
		if (errno != EAGAIN)
			return -errno;
		if (!deadline)
			return -EAGAIN;
		r = wait_fd(fd, POLLIN, stop_fd, deadline);
		if (r <= 0)
			return r ? r : -ETIMEDOUT;
	}
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*nfds < HO_MAX_FDS)
				fds[(*nfds)++] = f;
			else
				close(f);
		}
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		for (unsigned i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		return -EMSGSIZE;
	}
	if (n == 0 && *nfds == 0)
		return -EPIPE;	/* a record is never empty: EOF */
	return n;
}

static void close_fds(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
}

static int send_simple(int fd, enum ho_type type, const char *reason,
		       long long deadline)
{
	struct ho_record rec = { .type = type };
	uint8_t buf[HO_MAX_RECORD];
	size_t len;

	if (type == HO_HELLO || type == HO_ACCEPT)
		rec.u.hello.pid = (uint32_t)getpid();
	if (reason)
		snprintf(rec.u.reason, sizeof(rec.u.reason), "%s", reason);
	len = ho_encode(&rec, buf);
	return send_rec(fd, buf, len, NULL, 0, deadline);
}

void tk_refuse(int fd, const char *reason)
{
	send_simple(fd, HO_ABORT, reason, now_ms() + 100);
	close(fd);
}

int tk_read_hello(int fd, struct ho_reader *rd, unsigned *pid, char *err,
		  size_t errlen)
{
	uint8_t buf[HO_MAX_RECORD];
	struct ho_record rec;
	int fds[HO_MAX_FDS];
	unsigned nfds;
	ssize_t n = recv_rec(fd, buf, sizeof(buf), fds, &nfds, -1, 0);

	if (n == -EAGAIN)
		return 0;
	if (n < 0) {
		snprintf(err, errlen, "%s", n == -EPIPE ? "closed without a word"
							: strerror((int)-n));
		return (int)n;
	}
	ho_reader_init(rd, HO_ROLE_RUNNING);
	if (ho_read(rd, buf, (size_t)n, nfds, &rec, err, errlen)) {
		close_fds(fds, nfds);
		/* tell it why (another handover version, say): the header of
		 * an ABORT is the same in every version */
		send_simple(fd, HO_ABORT, err, now_ms() + 100);
		return -EPROTO;
	}
	if (rec.type != HO_HELLO) {
		snprintf(err, errlen, "%s instead of HELLO", ho_type_name(rec.type));
		return -EPROTO;
	}
	*pid = rec.u.hello.pid;
	return 1;
}

struct give_ctx {
	int fd;
	long long deadline;
};

static int give_send(void *arg, const uint8_t *rec, size_t len,
		     const int *fds, unsigned nfds)
{
	struct give_ctx *g = arg;

	return send_rec(g->fd, rec, len, fds, nfds, g->deadline);
}

/* After a failed send: the successor's ABORT, if it sent one before it
 * closed (its reason is worth more than our EPIPE). */
static bool peer_aborted(int fd, struct ho_reader *rd, char *err, size_t errlen)
{
	uint8_t buf[HO_MAX_RECORD];
	struct ho_record rec;
	int fds[HO_MAX_FDS];
	unsigned nfds;
	char why[160];
	ssize_t n = recv_rec(fd, buf, sizeof(buf), fds, &nfds, -1, 0);

	if (n <= 0)
		return false;
	if (ho_read(rd, buf, (size_t)n, nfds, &rec, why, sizeof(why)) ||
	    rec.type != HO_ABORT) {
		close_fds(fds, nfds);
		return false;
	}
	snprintf(err, errlen, "the successor refused: %s", rec.u.reason);
	return true;
}

int tk_give(int fd, struct ho_reader *rd, const struct ho_live *live,
	    char *err, size_t errlen)
{
	struct give_ctx g = { fd, now_ms() + TK_GIVE_TIMEOUT_MS };
	uint8_t buf[HO_MAX_RECORD];
	struct ho_record rec;
	int fds[HO_MAX_FDS];
	unsigned nfds;
	ssize_t n;
	int r;

	r = ho_capture(live, give_send, &g);
	if (r) {
		if (peer_aborted(fd, rd, err, errlen))
			return -ECANCELED;
		snprintf(err, errlen, "sending the state failed: %s",
			 strerror(-r));
		send_simple(fd, HO_ABORT, "the running daemon could not send "
			    "its state", now_ms() + 100);
		return r;
	}
	/* the successor rebuilds; it may take what is left of the deadline */
	n = recv_rec(fd, buf, sizeof(buf), fds, &nfds, -1, g.deadline);
	if (n < 0) {
		snprintf(err, errlen, "no answer from the successor: %s",
			 n == -EPIPE ? "it closed the connection (died?)" :
			 n == -ETIMEDOUT ? "timed out" : strerror((int)-n));
		if (n == -ETIMEDOUT)
			send_simple(fd, HO_ABORT, "no ACCEPT in time: the running "
				    "daemon serves on", now_ms() + 100);
		return (int)n;
	}
	if (ho_read(rd, buf, (size_t)n, nfds, &rec, err, errlen)) {
		close_fds(fds, nfds);
		send_simple(fd, HO_ABORT, "bad answer: the running daemon "
			    "serves on", now_ms() + 100);
		return -EPROTO;
	}
	if (rec.type == HO_ABORT) {
		snprintf(err, errlen, "the successor refused: %s", rec.u.reason);
		return -ECANCELED;
	}
	/* ACCEPT: from here on the successor is in charge */
	r = send_simple(fd, HO_COMMIT, NULL, now_ms() + 1000);
	if (r) {
		snprintf(err, errlen, "COMMIT could not be sent: %s",
			 strerror(-r));
		return r;
	}
	return 0;
}

/* The predecessor's process exited (pidfd readable) within ms. */
static bool exited(int pidfd, int ms)
{
	struct pollfd p = { pidfd, POLLIN, 0 };

	return pidfd >= 0 && poll(&p, 1, ms) == 1;
}

/* Receive and feed one record.  What ho_restore_feed returns, or a
 * receive error. */
static int take_one(int fd, struct ho_restore *r, int stop_fd,
		    long long deadline, char *err, size_t errlen)
{
	uint8_t buf[HO_MAX_RECORD];
	int fds[HO_MAX_FDS];
	unsigned nfds;
	ssize_t n = recv_rec(fd, buf, sizeof(buf), fds, &nfds, stop_fd,
			     deadline);
	int e;

	if (n < 0) {
		snprintf(err, errlen, "%s",
			 n == -EPIPE ? "the running daemon closed the control "
				       "connection" :
			 n == -ETIMEDOUT ? "timed out waiting for the running daemon" :
			 n == -EINTR ? "stopped by a signal" :
			 strerror((int)-n));
		return (int)n;
	}
	e = ho_restore_feed(r, buf, (size_t)n, fds, nfds, err, errlen);
	explicit_bzero(buf, sizeof(buf));
	return e;
}

int tk_take(const char *ctl_path, struct ho_restore *r, int stop_fd,
	    char *err, size_t errlen)
{
	long long deadline = now_ms() + TK_TAKE_TIMEOUT_MS;
	int fd, e, pidfd = -1;

	fd = connect_to(ctl_path);
	if (fd < 0) {
		snprintf(err, errlen, "no daemon answers at %s: %s", ctl_path,
			 strerror(-fd));
		return fd;
	}
	if (!same_uid(fd, NULL)) {
		snprintf(err, errlen, "the daemon at %s runs as another user",
			 ctl_path);
		close(fd);
		return -EPERM;
	}
	e = send_simple(fd, HO_HELLO, NULL, deadline);
	if (e) {
		snprintf(err, errlen, "HELLO: %s", strerror(-e));
		goto out;
	}
	/* the state, BEGIN .. END */
	do {
		e = take_one(fd, r, stop_fd, deadline, err, errlen);
	} while (e == 0);
	if (e != 1) {
		if (e != -ECANCELED && e != -EPIPE)
			send_simple(fd, HO_ABORT, err, now_ms() + 100);
		if (e == -ECANCELED) {
			char why[HO_MAX_REASON + 1];

			snprintf(why, sizeof(why), "%s", err);
			snprintf(err, errlen, "the running daemon aborted: %s", why);
		}
		goto out;
	}
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)r->pid, 0);
	e = send_simple(fd, HO_ACCEPT, NULL, now_ms() + TK_GIVE_TIMEOUT_MS);
	if (e) {
		snprintf(err, errlen, "ACCEPT: %s", strerror(-e));
		goto out;
	}
	/*
	 * Wait for COMMIT without giving up on our own (no stop fd, no
	 * deadline of ours): the running daemon decides within its own
	 * deadline, and if we left now it could still commit to us.
	 */
	e = take_one(fd, r, -1, now_ms() + 24ll * 3600 * 1000, err, errlen);
	if (e == 2) {
		e = 0;
	} else if (e == -EPIPE && exited(pidfd, 2000)) {
		/* it died paused, after sending everything: carry on */
		log_warn("takeover: the running daemon (pid %u) exited before "
			 "COMMIT; it had stopped with the state it sent, "
			 "carrying on", r->pid);
		e = 0;
	} else if (e == -ECANCELED) {
		char why[HO_MAX_REASON + 1];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "the running daemon aborted: %s", why);
	} else if (e >= 0) {
		snprintf(err, errlen, "no COMMIT from the running daemon");
		e = -EPROTO;
	} else if (e == -EPIPE) {
		snprintf(err, errlen, "the running daemon closed the control "
			 "connection without COMMIT and is still running");
	}
out:
	if (pidfd >= 0)
		close(pidfd);
	close(fd);
	if (e)
		ho_restore_free(r);
	return e;
}
