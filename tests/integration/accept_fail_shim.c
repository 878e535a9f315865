/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accept_fail_shim.c - an LD_PRELOAD library for the chat-server suite:
 * accept4() fails on demand, and the calls made while failing are counted.
 *
 * Owns: only that.  While the file named by ACCEPT_FAIL_FILE exists,
 * accept4() fails with the errno named in it (ENOBUFS, ENOMEM, EMFILE or
 * ENFILE) and leaves the connection queued, as the kernel does; at exit the
 * number of such failed calls is written to ACCEPT_COUNT_FILE.  A server
 * that retries at once spins and makes millions; one that backs off makes
 * a handful.  Used by tests/suite-20-chat-server.sh.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*accept4_fn)(int, struct sockaddr *, socklen_t *, int);

static unsigned long failed_calls;
static accept4_fn real_accept4;

static void report(void)
{
	const char *path = getenv("ACCEPT_COUNT_FILE");
	FILE *f = path ? fopen(path, "w") : NULL;

	if (f) {
		fprintf(f, "%lu\n", failed_calls);
		fclose(f);
	}
}

/* The errno the control file asks for, or 0 when it does not exist. */
static int wanted_error(void)
{
	static const struct { const char *name; int err; } names[] = {
		{ "ENOBUFS", ENOBUFS }, { "ENOMEM", ENOMEM },
		{ "EMFILE", EMFILE }, { "ENFILE", ENFILE },
	};
	const char *path = getenv("ACCEPT_FAIL_FILE");
	char word[16] = "";
	FILE *f;
	size_t i;

	if (!path || !(f = fopen(path, "r")))
		return 0;
	if (!fgets(word, sizeof(word), f))
		word[0] = '\0';
	fclose(f);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(word, names[i].name, strlen(names[i].name)) == 0)
			return names[i].err;
	return ENOBUFS;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int err;

	if (!real_accept4) {
		real_accept4 = (accept4_fn)dlsym(RTLD_NEXT, "accept4");
		atexit(report);
	}
	err = wanted_error();
	if (err) {
		failed_calls++;
		errno = err;
		return -1;
	}
	return real_accept4(fd, addr, len, flags);
}
