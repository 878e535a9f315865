/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sigbus_guard.h - keep the daemon alive when a front-end shrinks a file
 * under guest memory the daemon has mapped.
 *
 * A front-end may pass a memory fd it can later truncate.  An access to a
 * page of a shared mapping beyond the end of its file raises SIGBUS, which
 * would kill the daemon and every guest it serves.  Guarded mappings are
 * registered here; a SIGBUS inside one replaces the faulting page with a
 * private zero page (the access then completes, reading zeros, and the
 * guest that shrank its own memory gets garbage), counts the fault, and
 * returns.  A SIGBUS anywhere else keeps its default action.
 *
 * Owns: the process's SIGBUS handler and the table of guarded ranges.
 * Does not own the mappings (guest_memory.c maps and unmaps them).
 * Threads: any; the handler is async-signal-safe (atomics and mmap only).
 */
#ifndef VUC_SIGBUS_GUARD_H
#define VUC_SIGBUS_GUARD_H

#include <stddef.h>
#include <stdint.h>

/* Guard [base, base + len); -ENOSPC when the table is full, -errno when the
 * handler cannot be installed. */
int sbg_add(void *base, size_t len);
/* Stop guarding the range that starts at base (before it is unmapped). */
void sbg_remove(void *base);
/* Pages replaced since the process started. */
uint64_t sbg_faults(void);

#endif
