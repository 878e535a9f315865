/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_passphrase.h - where the chat client gets the room passphrase:
 * --passphrase-file (its first line), else the environment variable
 * CHAT_PASSPHRASE, else a prompt without echo on the controlling terminal.
 * Does not own: what is derived from it (room_crypto.c).
 */
#ifndef VCD_CHAT_CLIENT_PASSPHRASE_H
#define VCD_CHAT_CLIENT_PASSPHRASE_H

#include <stddef.h>

#define CLIENT_PASS_MAX	1024

/* Fill buf (NUL-terminated, *len bytes); 0, or -1 with a reason in err. */
int client_passphrase_get(const char *file, char *buf, size_t *len,
			  char *err, size_t errlen);

#endif /* VCD_CHAT_CLIENT_PASSPHRASE_H */
