/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fd_store.h - systemd's file descriptor store for this daemon (libsystemd:
 * sd_pid_notify_with_fds "FDSTORE=1", "FDSTOREREMOVE=1",
 * sd_listen_fds_with_names), and the READY/STOPPING notifications.
 *
 * Owns: talking to the service manager.  Every call is a no-op returning
 * 0 when the daemon does not run under a service manager ($NOTIFY_SOCKET
 * unset), so nothing changes without systemd.  Does not own what is
 * stored or why (restart_state.c).
 */
#ifndef VUC_FD_STORE_H
#define VUC_FD_STORE_H

#include <stdbool.h>

#define FS_NAME_MAX 64

struct fs_entry {
	int fd;
	char name[FS_NAME_MAX];
};

/* A service manager listens ($NOTIFY_SOCKET). */
bool fs_available(void);
/* Store a duplicate of fd under name (the fd stays ours): 0 or -errno. */
int fs_put(const char *name, int fd);
/* Drop every stored fd of that name: 0 or -errno. */
int fs_drop(const char *name);
/* READY=1 with a STATUS= line, or STOPPING=1 (status NULL). */
void fs_notify_ready(const char *status);
void fs_notify_stopping(void);
/*
 * The fds the service manager passed at start (the store's content and
 * any socket-activation fds), with their names; the environment
 * variables are unset.  Returns how many (*out malloc()ed, free it), 0,
 * or -errno.
 */
int fs_take(struct fs_entry **out);

#endif
