/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inflight_log.h - which requests of each ring are in flight, in a memfd
 * that outlives the process (kept in systemd's fd store), so that a daemon
 * restarted after a crash knows exactly which requests the dead one had
 * taken and not answered.
 *
 * Owns: the memfd's layout (below) and its updates on the data path:
 *   pop:  slot[head] = avail position | IL_TAKEN, then last_avail = pos + 1
 *   push: (the used ring written first) slot[head] = 0, then used_idx
 * and the reading of it after a crash (il_queue_view): a head whose slot
 * names the position last_avail still points at was never taken (the pop
 * did not finish); a used index one short of the ring's means the last
 * push reached the ring but not the log.  Does not own the rings, or what
 * is done with the requests found (crypto_device.c answers them).
 *
 * Threads: pops on the connection thread, pushes under the queue's lock;
 * every field is written with release stores and read after the process
 * that wrote it is gone.
 */
#ifndef VUC_INFLIGHT_LOG_H
#define VUC_INFLIGHT_LOG_H

#include <stdbool.h>
#include <stdint.h>

#define IL_MAGIC 0x49435556u		/* "VUCI" */
#define IL_QUEUES 8u
#define IL_SLOTS 32768u			/* the largest ring */
#define IL_TAKEN 0x10000u

/* Per ring: u32 magic, u32 num, u32 last_avail, u32 used_idx, then
 * u32 slot[32768] (0: not in flight). */
struct il_ring {
	uint32_t magic, num, last_avail, used_idx;
	uint32_t slot[IL_SLOTS];
};

struct inflight_log;

/* A new log in a new memfd (*fd, ours to close). */
int il_create(struct inflight_log **out, int *fd);
/* Map the log in fd (from the store); -EINVAL if it is not one. */
int il_open(struct inflight_log **out, int fd);
void il_close(struct inflight_log *l);

/* Ring qi set up or moved by the control path (nothing in flight). */
void il_reset(struct inflight_log *l, unsigned qi, unsigned num,
	      uint16_t last_avail, uint16_t used_idx);
void il_popped(struct inflight_log *l, unsigned qi, uint16_t head,
	       uint16_t pos);
void il_pushed(struct inflight_log *l, unsigned qi, uint16_t head,
	       uint16_t used_idx);

/* What a log says of ring qi after a crash: false if it has none. */
bool il_view(const struct inflight_log *l, unsigned qi,
	     const struct il_ring **out);

#endif
