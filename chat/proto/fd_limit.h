/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fd_limit.h - raise this process's open-file limit for many sockets.
 *
 * Owns: RLIMIT_NOFILE adjustment (soft limit up to the hard one, and the
 * hard one too when privileged).  Does not own: deciding how many files a
 * program needs.
 */
#ifndef VCD_CHAT_FD_LIMIT_H
#define VCD_CHAT_FD_LIMIT_H

/* Try to allow `want` open files; returns the limit now in force. */
unsigned long fd_limit_raise(unsigned long want);

#endif /* VCD_CHAT_FD_LIMIT_H */
