/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vcd_crypt.h - the data request of vcd_crypt.c, as vcd_chrdev.c fills it.
 */
#ifndef VCD_CRYPT_H
#define VCD_CRYPT_H

#include "vcd.h"

#define VCD_MAX_DIGEST 64

struct vcd_crypt_req {
	struct vcd_req base;
	struct virtio_crypto_op_data_req hdr;
	u8 iv[VCD_MAX_IV];
	u8 mac[VCD_MAX_DIGEST];
	u8 status;
	bool inline_bufs;
	unsigned int len;
	u8 *src;
	u8 *dst;
	struct scatterlist *sg;
	struct scatterlist sg_inline[6];
	u8 data[];
};

struct vcd_crypt_req *vcd_crypt_alloc(unsigned int len);
void vcd_crypt_free(struct vcd_crypt_req *r);
int vcd_crypt_run(struct vcd_session *s, struct vcd_crypt_req *r,
		  bool encrypt, const u8 *iv);

#endif /* VCD_CRYPT_H */
