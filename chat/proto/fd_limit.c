/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fd_limit.c - raise RLIMIT_NOFILE (see fd_limit.h).
 */
#include "fd_limit.h"

#include <sys/resource.h>

unsigned long fd_limit_raise(unsigned long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur >= want)
		return (unsigned long)rl.rlim_cur;
	if (rl.rlim_max < want) {
		struct rlimit both = { want, want };

		if (setrlimit(RLIMIT_NOFILE, &both) == 0)
			return want;
		want = (unsigned long)rl.rlim_max;	/* not privileged */
	}
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		return want;
	return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (unsigned long)rl.rlim_cur : 0;
}
