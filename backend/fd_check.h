/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fd_check.h - what kind of file an fd that came from another process is.
 *
 * Owns: telling an eventfd, a UNIX socket of a given type (listening or
 * connected, and the path it is bound to) and a file that can back guest
 * memory apart, for the fds that arrive with SCM_RIGHTS (vhost-user
 * messages, the takeover handover).  Does not own the fds.
 */
#ifndef VUC_FD_CHECK_H
#define VUC_FD_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* An eventfd (an anonymous inode the kernel names "[eventfd]"). */
bool fd_is_eventfd(int fd);

/* An AF_UNIX socket of type (SOCK_STREAM, SOCK_SEQPACKET) that listens
 * (listening true) or does not.  With path non-NULL, a listening socket
 * must also be bound to exactly that path. */
bool fd_is_unix_socket(int fd, int type, bool listening, const char *path);

#endif
