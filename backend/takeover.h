/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * takeover.h - one daemon taking over another's live connection
 * (vhost-user-crypto --socket PATH --takeover), over a private control
 * socket at PATH.takeover.
 *
 * Owns: the control socket (SOCK_SEQPACKET, mode 0600, bound next to the
 * vhost-user socket; a peer of another uid is refused by SO_PEERCRED on
 * both sides), moving records with their fds (SCM_RIGHTS) under deadlines,
 * and the conversation on both sides with its failure rules:
 *   - the running daemon stays in charge until it has sent COMMIT: any
 *     failure before (the successor refuses the state, dies, is slow, a
 *     send fails) ends the handover and it carries on serving, with all it
 *     had (it only lent duplicates of its fds);
 *   - the successor serves only after COMMIT, or when the connection ends
 *     after it had the whole state and the running daemon's process has
 *     exited (it died while paused, having touched nothing since); in
 *     every other case it closes what it got and exits 1.
 * Does not own: what the state is (handover.c), the record bytes
 * (handover_msg.c), draining the device or exiting (main.c).
 */
#ifndef VUC_TAKEOVER_H
#define VUC_TAKEOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handover.h"
#include "handover_msg.h"

#define TK_SUFFIX ".takeover"
/* The running daemon's whole handover (sending the state, the successor's
 * rebuild, its ACCEPT) must fit in this, counted from HELLO, with the
 * guest paused; then it sends ABORT and serves on.  Well below the 10 s
 * after which a guest driver may give up on a request. */
#define TK_GIVE_TIMEOUT_MS 3000
/* The successor waits this long for the whole state (the running daemon
 * first finishes the requests in flight). */
#define TK_TAKE_TIMEOUT_MS 30000

/* Send one encoded record with its fds (SCM_RIGHTS) within timeout_ms:
 * 0 or -errno.  tk_give and tk_take use it; so may a peer that speaks the
 * records itself (the tests). */
int tk_send(int fd, const uint8_t *rec, size_t len, const int *fds,
	    unsigned nfds, int timeout_ms);

/* PATH + ".takeover" into out: 0, or -ENAMETOOLONG for a UNIX socket. */
int tk_ctl_path(const char *sock_path, char *out, size_t outlen);
/* Bind and listen on ctl_path, mode 0600 (a stale socket there is
 * replaced, any other file is an error): the fd, or -errno. */
int tk_listen(const char *ctl_path);
/* A daemon answers on ctl_path. */
bool tk_probe(const char *ctl_path);
/* Accept one control connection (non-blocking): the fd, -EAGAIN when
 * there was none, -EPERM (closed) for a peer of another uid, -errno. */
int tk_accept(int ctl_lfd);

/* Refuse a control connection: ABORT with reason, then close fd. */
void tk_refuse(int fd, const char *reason);

/*
 * Running daemon.  tk_read_hello reads the successor's first record:
 * 1 (HELLO, *pid set), 0 (nothing yet), -errno (EOF or a bad record:
 * close the fd).  tk_give then hands everything over; the caller has
 * drained the device.  0: committed, the caller must exit without
 * touching the rings or removing the sockets; -errno: not handed over
 * (err says why), keep serving.
 */
int tk_read_hello(int fd, struct ho_reader *rd, unsigned *pid, char *err,
		  size_t errlen);
int tk_give(int fd, struct ho_reader *rd, const struct ho_live *live,
	    char *err, size_t errlen);

/*
 * Successor: take over from the daemon answering at ctl_path, rebuilding
 * into r (ho_restore_init'ed).  0: r holds the state and the predecessor
 * has let go (take it, then ho_restore_free the rest); -errno with err:
 * nothing was taken (r freed).  stop_fd readable before the state is
 * accepted abandons the takeover.
 */
int tk_take(const char *ctl_path, struct ho_restore *r, int stop_fd,
	    char *err, size_t errlen);

#endif
