/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vcd_authcrypt.h - CIOCAUTHCRYPT: AEAD, TLS and SRTP records.
 */
#ifndef VCD_AUTHCRYPT_H
#define VCD_AUTHCRYPT_H

#include "vcd_session.h"
#include "uapi/cryptodev.h"

int vcd_authcrypt(struct vcd_session *s, struct crypt_auth_op *caop);

#endif /* VCD_AUTHCRYPT_H */
