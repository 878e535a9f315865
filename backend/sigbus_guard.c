/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sigbus_guard.c - SIGBUS inside a guarded mapping becomes a zero page (see
 * sigbus_guard.h).
 *
 * The table is a fixed array of (base, len) pairs written with atomics, so
 * the handler can read it at any moment without a lock; an entry is
 * claimed by a compare-and-swap on its base.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sigbus_guard.h"

#define SBG_MAX 512		/* regions of all connections together */

static struct {
	_Atomic uintptr_t base;
	_Atomic size_t len;
} guarded[SBG_MAX];
static _Atomic uint64_t faults;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int install_err;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	long page = sysconf(_SC_PAGESIZE);

	(void)uc;
	for (unsigned i = 0; i < SBG_MAX; i++) {
		uintptr_t b = atomic_load(&guarded[i].base);

		if (b && a >= b && a - b < atomic_load(&guarded[i].len)) {
			void *p = (void *)(a & ~(uintptr_t)(page - 1));

			if (mmap(p, (size_t)page, PROT_READ | PROT_WRITE,
				 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1,
				 0) != MAP_FAILED) {
				atomic_fetch_add(&faults, 1);
				return;
			}
			break;
		}
	}
	signal(sig, SIG_DFL);	/* not ours, or no page: die as before */
	raise(sig);
}

static void install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) < 0)
		install_err = -errno;
}

int sbg_add(void *base, size_t len)
{
	pthread_once(&once, install);
	if (install_err)
		return install_err;
	for (unsigned i = 0; i < SBG_MAX; i++) {
		uintptr_t free_slot = 0;

		/* len is 0 until set: nothing is accessed before we return */
		if (atomic_compare_exchange_strong(&guarded[i].base, &free_slot,
						   (uintptr_t)base)) {
			atomic_store(&guarded[i].len, len);
			return 0;
		}
	}
	return -ENOSPC;
}

void sbg_remove(void *base)
{
	for (unsigned i = 0; i < SBG_MAX; i++) {
		if (atomic_load(&guarded[i].base) == (uintptr_t)base) {
			atomic_store(&guarded[i].len, 0);
			atomic_store(&guarded[i].base, 0);
			return;
		}
	}
}

uint64_t sbg_faults(void)
{
	return atomic_load(&faults);
}
