/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vcd_devsess.h - device sessions as a cache of the cryptodev sessions.
 */
#ifndef VCD_DEVSESS_H
#define VCD_DEVSESS_H

#include "vcd_session.h"

void vcd_dsess_cache_init(struct vcd_device *dev);
int vcd_dsess_probe(struct vcd_session *s);
int vcd_dsess_acquire(struct vcd_session *s, unsigned int slot, u64 *id);
int vcd_dsess_renew(struct vcd_session *s, unsigned int slot, u64 lost_id,
		    u64 *id);
void vcd_dsess_release(struct vcd_session *s, unsigned int slot);
void vcd_dsess_drop(struct vcd_session *s);
void vcd_dsess_device_reset(struct vcd_device *dev);
void vcd_dsess_flush_destroys(struct vcd_device *dev);
void vcd_dsess_device_gone(struct vcd_device *dev);

#endif /* VCD_DEVSESS_H */
