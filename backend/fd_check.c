/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fd_check.c - kinds of fds from other processes (see fd_check.h).
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd_check.h"

bool fd_is_eventfd(int fd)
{
	char path[64], name[32];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, name, sizeof(name) - 1);
	if (n < 0)
		return false;
	name[n] = 0;
	return strcmp(name, "anon_inode:[eventfd]") == 0;
}

bool fd_is_unix_socket(int fd, int type, bool listening, const char *path)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(int), salen = sizeof(sa);
	int v = 0;
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) < 0 || v != AF_UNIX)
		return false;
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) < 0 || v != type)
		return false;
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) < 0 ||
	    (v != 0) != listening)
		return false;
	if (!path || !listening)
		return true;
	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &salen) < 0 ||
	    salen <= offsetof(struct sockaddr_un, sun_path))
		return false;
	return strnlen(sa.sun_path, sizeof(sa.sun_path)) == strlen(path) &&
	       strncmp(sa.sun_path, path, sizeof(sa.sun_path)) == 0;
}
