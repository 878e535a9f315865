/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fd_store.c - systemd's file descriptor store through libsystemd (see
 * fd_store.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "fd_store.h"

bool fs_available(void)
{
	const char *s = getenv("NOTIFY_SOCKET");

	return s && *s;
}

static int notify_fd(const char *msg, const int *fds, unsigned n)
{
	int r;

	if (!fs_available())
		return 0;
	r = sd_pid_notify_with_fds(0, 0, msg, fds, n);
	return r < 0 ? r : 0;
}

int fs_put(const char *name, int fd)
{
	char msg[32 + FS_NAME_MAX];

	snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
	return notify_fd(msg, &fd, 1);
}

int fs_drop(const char *name)
{
	char msg[32 + FS_NAME_MAX];

	snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", name);
	return notify_fd(msg, NULL, 0);
}

void fs_notify_ready(const char *status)
{
	char msg[300];

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	notify_fd(msg, NULL, 0);
}

void fs_notify_stopping(void)
{
	notify_fd("STOPPING=1", NULL, 0);
}

int fs_take(struct fs_entry **out)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names);

	*out = NULL;
	if (n <= 0) {
		free(names);
		return n;
	}
	*out = calloc((size_t)n, sizeof(**out));
	for (int i = 0; i < n; i++) {
		if (*out) {
			(*out)[i].fd = SD_LISTEN_FDS_START + i;
			snprintf((*out)[i].name, FS_NAME_MAX, "%s",
				 names && names[i] ? names[i] : "unknown");
		}
		if (names)
			free(names[i]);
	}
	free(names);
	return *out ? n : -ENOMEM;
}
