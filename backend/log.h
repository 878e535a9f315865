/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - leveled logging to stderr for the vhost-user-crypto daemon.
 *
 * Owns: the process-wide log level and the line format
 * ("vhost-user-crypto: LEVEL: message").  Does not own: where stderr goes.
 * Thread-safe: one fprintf per line.
 */
#ifndef VUC_LOG_H
#define VUC_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* LOG_ERROR..LOG_DEBUG; below LOG_ERROR: nothing at all. */
void log_set_level(int level);
int log_get_level(void);
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_get_level() >= LOG_DEBUG) \
				log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
