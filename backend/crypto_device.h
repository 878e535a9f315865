/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * crypto_device.h - the device logic of one front-end connection: guest
 * memory, the data virtqueues, the session table and the worker pool, and
 * the data path that ties them together (kick -> pop -> execute ->
 * push -> notify); crypto_device.c implements the control path,
 * device_datapath.c the data path.
 *
 * Owns: per-queue state (ring addresses as front-end virtual addresses,
 * kick/call/err eventfds, started/enabled flags, requests in flight), the
 * rule for when a ring runs, draining before any change of memory or ring
 * state, completion batching.  No socket, no vhost-user framing: that is
 * vhost_user.c, which calls the functions below; the tests and the
 * benchmark call them directly over fake guest memory.
 *
 * Threads: every cd_* function except the completion path runs on the one
 * dispatcher thread (the connection's thread).  Requests run on the worker
 * pool (or inline when workers == 0); pushing to the used ring and
 * signalling the call eventfd are serialised by a per-queue lock.
 */
#ifndef VUC_CRYPTO_DEVICE_H
#define VUC_CRYPTO_DEVICE_H

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "crypto_engine.h"
#include "guest_memory.h"
#include "inflight_log.h"
#include "mem_budget.h"
#include "session_table.h"
#include "virtqueue.h"
#include "worker_pool.h"

#define CD_MAX_QUEUES 8
/* Requests with at most this many readable bytes (16 KiB of data plus the
 * 72-byte header and the IV) run on the dispatcher thread: the crypto takes
 * less than waking another thread.  Larger ones go to the worker pool. */
#define CD_INLINE_MAX (16384u + 72u + 16u)
/* The last large request of a batch runs on the dispatcher thread only up
 * to this size: larger ones always go to the pool, so that the connection
 * thread answers vhost-user messages (QEMU waits for CREATE_SESSION and
 * GET_VRING_BASE synchronously) within about a millisecond. */
#define CD_INLINE_LAST_MAX (256u << 10)
/* Chains one cd_process call pops before it returns to the caller's poll
 * loop (a guest that refills its ring as fast as it is served cannot keep
 * the connection thread from the vhost-user socket). */
#define CD_PROCESS_MAX 256u

struct crypto_device;

struct cd_queue {
	struct crypto_device *dev;
	unsigned index;
	struct virtqueue vq;
	pthread_mutex_t lock;		/* push/notify, inflight, call_fd */
	pthread_cond_t idle;
	unsigned inflight;		/* popped, not yet pushed */
	atomic_uint queued;		/* submitted to the pool, not started */
	int kick_fd, call_fd, err_fd;
	bool started;			/* kick fd set and not stopped */
	bool enabled;			/* not disabled by SET_VRING_ENABLE 0 */
	bool kick_pending;		/* kicked while it could not run */
	bool more;			/* stopped at CD_PROCESS_MAX: resume */
	unsigned num;
	bool addr_set;
	uint64_t desc_uva, avail_uva, used_uva;
	uint64_t requests, bad_chains;	/* statistics (dispatcher thread) */
	uint64_t pooled;		/* of them, handed to the worker pool */
	uint64_t refused;		/* answered ERR: over the memory budget */
};

struct crypto_device {
	struct guest_memory mem;
	struct cd_queue q[CD_MAX_QUEUES];
	struct session_table *sessions;
	struct worker_pool *pool;	/* NULL: requests run inline */
	uint64_t inline_max;		/* see CD_INLINE_MAX; 0: pool for all */
	struct mem_budget budget;	/* jobs and bounce buffers (mem_budget.h) */
	bool event_idx;
	struct inflight_log *ilog;	/* NULL: not kept (no service manager) */
};

/* workers == 0 runs requests on the dispatcher thread. */
int cd_create(struct crypto_device **out, struct ce_engine *eng,
	      unsigned max_sessions, unsigned workers);
/* The bound of d->budget in bytes (default MB_DEFAULT_MAX); call before
 * the rings run. */
void cd_set_memory_max(struct crypto_device *d, size_t bytes);
/* Drain, close every fd, unmap memory, free sessions and threads. */
void cd_destroy(struct crypto_device *d);

/* Wait until no request of any queue is in flight. */
void cd_drain(struct crypto_device *d);
/* Requests popped and not yet completed, all queues (a snapshot). */
unsigned cd_inflight(struct crypto_device *d);

/* Memory table: cd_mem_begin drains and empties it; cd_mem_add_fd maps a
 * region (gm_add_fd: the table keeps a duplicate of fd, the caller closes
 * its own); cd_mem_end re-translates the rings already configured. */
void cd_mem_begin(struct crypto_device *d);
int cd_mem_add_fd(struct crypto_device *d, uint64_t gpa, uint64_t size,
		  uint64_t uva, uint64_t mmap_offset, int fd);
int cd_mem_end(struct crypto_device *d);
/* Region i of the memory table (gm_region_get): 0 or -ENOENT. */
int cd_mem_region(const struct crypto_device *d, unsigned i,
		  struct gm_region_desc *out);

/* Ring configuration (vhost-user semantics; -EINVAL for a bad index or
 * value, -EFAULT for addresses outside guest memory). */
int cd_set_num(struct crypto_device *d, unsigned qi, unsigned num);
int cd_set_base(struct crypto_device *d, unsigned qi, unsigned base);
int cd_set_addr(struct crypto_device *d, unsigned qi, uint64_t desc_uva,
		uint64_t avail_uva, uint64_t used_uva);
/* Stop the ring, wait for its requests, return next avail index. */
int cd_get_base(struct crypto_device *d, unsigned qi, unsigned *base);
/* fd -1 = none (polling mode for kick).  Takes ownership of fd. */
int cd_set_kick(struct crypto_device *d, unsigned qi, int fd);
int cd_set_call(struct crypto_device *d, unsigned qi, int fd);
int cd_set_err(struct crypto_device *d, unsigned qi, int fd);
int cd_set_enable(struct crypto_device *d, unsigned qi, bool enable);
void cd_set_event_idx(struct crypto_device *d, bool on);

/*
 * A queue's whole state between two daemons (takeover): what vhost-user
 * configured and where the ring is.  Exact only while no request of the
 * queue is in flight (cd_drain first); the ring positions are read under
 * the queue's lock, so an export meanwhile (restart_state.c) is safe.  The fds are borrowed in
 * cd_queue_export and owned by the device after cd_queue_import.
 */
struct cd_queue_state {
	unsigned num;
	bool addr_set, started, enabled, broken, kick_pending;
	bool event_idx, signalled_valid;
	uint16_t last_avail, used_idx, signalled_used;
	uint64_t desc_uva, avail_uva, used_uva;
	int kick_fd, call_fd, err_fd;	/* -1: none */
};

/* -EINVAL for a bad index. */
int cd_queue_export(struct crypto_device *d, unsigned qi,
		    struct cd_queue_state *out);
/*
 * Set queue qi of a device whose rings do not run yet (after its memory
 * table): -EINVAL for a bad index or ring size, -EFAULT for ring addresses
 * outside guest memory; the fds are closed on failure.
 */
int cd_queue_import(struct crypto_device *d, unsigned qi,
		    const struct cd_queue_state *in);
/* The connection's session table (takeover and restart state). */
struct session_table *cd_sessions(struct crypto_device *d);
/* CREATE_SESSION / DESTROY_SESSION: a VIRTIO_CRYPTO_* status; *id is the
 * new session's id (never one used before, session_table.h). */
int cd_session_create(struct crypto_device *d, const struct session_params *p,
		      uint64_t *id);
int cd_session_close(struct crypto_device *d, uint64_t id);
/* Whether SET_FEATURES chose EVENT_IDX (cd_set_event_idx). */
bool cd_event_idx(const struct crypto_device *d);
/* Process every ring that can run (after a takeover: work queued and
 * kicks suppressed meanwhile are not lost). */
void cd_resume(struct crypto_device *d);
/* Keep log (not owned) up to date with every pop and push from now on,
 * starting from the rings' present positions (nothing in flight). */
void cd_set_inflight_log(struct crypto_device *d, struct inflight_log *log);
/*
 * After a crash: take each ring's positions from what the dead daemon's
 * log says and answer every request it had taken and not completed with
 * status ERR (never run again: it may have been half done in place).
 * *failed: how many.  Call before the rings run.
 */
void cd_recover(struct crypto_device *d, const struct inflight_log *log,
		unsigned *failed);

/* Chains the driver made available and no one popped yet, all rings. */
unsigned cd_waiting(const struct crypto_device *d);

/* The kick fds to poll (rings started, with a kick fd): fills at most
 * max entries of pfd (POLLIN) and qi (the queue of each); returns how
 * many.  A readable one is handed to cd_kick. */
unsigned cd_kick_fds(const struct crypto_device *d, struct pollfd *pfd,
		     unsigned *qi, unsigned max);
/* Kick eventfd readable: consume it and process the queue. */
void cd_kick(struct crypto_device *d, unsigned qi);
/*
 * Pop and run (or submit) what is available on queue qi, at most
 * CD_PROCESS_MAX chains.  True when it stopped there with more available:
 * call cd_process_more soon (after a look at the socket).
 */
bool cd_process(struct crypto_device *d, unsigned qi);
/* Some queue stopped at CD_PROCESS_MAX. */
bool cd_has_more(const struct crypto_device *d);
/* Resume every queue that stopped at CD_PROCESS_MAX. */
void cd_process_more(struct crypto_device *d);

#endif
