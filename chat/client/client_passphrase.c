/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_passphrase.c - read the room passphrase (see client_passphrase.h).
 */
#include "client_passphrase.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* Strip one trailing "\n" or "\r\n". */
static size_t chomp(char *s)
{
	size_t n = strlen(s);

	if (n && s[n - 1] == '\n')
		s[--n] = '\0';
	if (n && s[n - 1] == '\r')
		s[--n] = '\0';
	return n;
}

static int from_file(const char *file, char *buf, size_t *len, char *err,
		     size_t errlen)
{
	FILE *f = fopen(file, "re");

	if (!f) {
		snprintf(err, errlen, "cannot open passphrase file %s: %s", file,
			 strerror(errno));
		return -1;
	}
	if (!fgets(buf, CLIENT_PASS_MAX, f))
		buf[0] = '\0';
	fclose(f);
	*len = chomp(buf);
	return 0;
}

static int from_tty(char *buf, size_t *len, char *err, size_t errlen)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	struct termios old, quiet;
	FILE *f;
	int ok, have_old;

	if (fd < 0) {
		snprintf(err, errlen,
			 "no passphrase: use --passphrase-file or CHAT_PASSPHRASE (no terminal to ask on)");
		return -1;
	}
	f = fdopen(fd, "r+");
	if (!f) {
		close(fd);
		snprintf(err, errlen, "fdopen: %s", strerror(errno));
		return -1;
	}
	have_old = tcgetattr(fd, &old) == 0;
	if (have_old) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	fputs("room passphrase: ", f);
	fflush(f);
	ok = fgets(buf, CLIENT_PASS_MAX, f) != NULL;
	if (!ok)
		fputs("\n", f);	/* interrupted: end the prompt's line */
	if (have_old)
		tcsetattr(fd, TCSAFLUSH, &old);
	fclose(f);
	if (!ok) {
		snprintf(err, errlen, "no passphrase given");
		return -1;
	}
	*len = chomp(buf);
	return 0;
}

int client_passphrase_get(const char *file, char *buf, size_t *len,
			  char *err, size_t errlen)
{
	const char *env = getenv("CHAT_PASSPHRASE");
	int rc;

	if (file)
		rc = from_file(file, buf, len, err, errlen);
	else if (env) {
		snprintf(buf, CLIENT_PASS_MAX, "%s", env);
		*len = strlen(buf);
		rc = 0;
	} else {
		rc = from_tty(buf, len, err, errlen);
	}
	if (rc == 0 && *len == 0) {
		snprintf(err, errlen, "the passphrase is empty");
		return -1;
	}
	return rc;
}
