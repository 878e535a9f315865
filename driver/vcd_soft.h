/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vcd_soft.h - a session's transforms in the guest kernel's crypto API.
 */
#ifndef VCD_SOFT_H
#define VCD_SOFT_H

#include <linux/scatterlist.h>
#include <linux/types.h>

#include "vcd_alg.h"

struct vcd_soft;

struct vcd_soft_info {
	const char *cipher_name, *cipher_driver;
	const char *hash_name, *hash_driver;
	unsigned int alignmask;
	bool kernel_driver_only;
};

int vcd_soft_new(const struct vcd_alg *cipher, const struct vcd_alg *mac,
		 const u8 *key, unsigned int keylen,
		 const u8 *mackey, unsigned int mackeylen,
		 struct vcd_soft **out);
void vcd_soft_free(struct vcd_soft *soft);
void vcd_soft_describe(struct vcd_soft *soft, struct vcd_soft_info *info);

int vcd_soft_cipher(struct vcd_soft *soft, bool encrypt, u8 *iv,
		    struct scatterlist *src, struct scatterlist *dst,
		    unsigned int len);
int vcd_soft_hash_init(struct vcd_soft *soft);
int vcd_soft_hash_update(struct vcd_soft *soft, struct scatterlist *sg,
			 unsigned int len);
int vcd_soft_hash_final(struct vcd_soft *soft, u8 *out);
unsigned int vcd_soft_digestsize(struct vcd_soft *soft);
int vcd_soft_hash_copy(struct vcd_soft *dst, struct vcd_soft *src);

unsigned int vcd_soft_aead_maxauth(struct vcd_soft *soft);
int vcd_soft_aead(struct vcd_soft *soft, bool encrypt, u8 *iv,
		  struct scatterlist *src, struct scatterlist *dst,
		  unsigned int assoclen, unsigned int cryptlen,
		  unsigned int authsize);

#endif /* VCD_SOFT_H */
