/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.c - leveled stderr logging (see log.h).
 *
 * Owns: the level (default WARN; -v raises it by one per flag).
 * Does not own: any other output of the daemon.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#include "log.h"

static atomic_int cur_level = LOG_WARN;

void log_set_level(int level)
{
	if (level < LOG_ERROR)
		level = -1;	/* silent (fuzz targets) */
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	atomic_store(&cur_level, level);
}

int log_get_level(void)
{
	return atomic_load(&cur_level);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char line[512];
	va_list ap;
	int n;

	if ((int)lvl > atomic_load(&cur_level))
		return;
	n = snprintf(line, sizeof(line), "vhost-user-crypto: %s: ", names[lvl]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}
