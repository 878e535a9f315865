/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/vm/afalg_bench.c - AES-128-CBC throughput through AF_ALG (guest).
 *
 * Owns: measuring ops/s and MB/s of encryption requests of 64 B, 4 KiB and
 * 64 KiB (by default; up to 64 MiB, fed to the kernel in 64 KiB pieces as a
 * user of AF_ALG would, each piece continuing from the last one's IV) with
 * 1 and 2 threads (each thread its own transform and key, requests back to
 * back for a fixed time).  One line per point:
 *   bench alg=NAME size=BYTES threads=T ops=N secs=S ops_per_s=X mb_per_s=Y first_cpu=C
 * (threads pinned to vCPUs from C on; 1 thread is measured on every vCPU)
 * Usage: afalg_bench [--alg NAME] [--secs S] [--sizes a,b,..] [--threads a,b,..]
 * Does not own: comparing backends (tests/bench/vm-stock.sh).
 */
#include "afalg.h"
#include "bench_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *alg = AFALG_VIRTIO_CBC;

#define AFALG_PIECE (64 * 1024)

static void *work(void *arg)
{
	struct bench_worker *w = arg;
	static const uint8_t key[16] = "0123456789abcdef";
	uint8_t iv[16] = { 0 };
	uint8_t *buf = calloc(1, w->size);
	struct afalg a;
	double end;

	bench_pin(w->cpu);
	if (!buf)
		return w->err = ENOMEM, NULL;
	w->err = -afalg_open(&a, alg, key, sizeof(key));
	if (w->err) {
		free(buf);
		return NULL;
	}
	end = bench_now() + w->secs;
	do {
		for (int i = 0; i < 16; i++) {
			for (size_t off = 0; off < w->size; off += AFALG_PIECE) {
				size_t n = w->size - off < AFALG_PIECE ? w->size - off : AFALG_PIECE;

				w->err = -afalg_crypt(&a, 1, iv, buf + off, buf + off, n);
				if (w->err)
					goto out;
				memcpy(iv, buf + off + n - 16, 16);
			}
			w->ops++;
		}
	} while (bench_now() < end);
out:
	afalg_close(&a);
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	long sizes[8] = { 64, 4096, 65536 }, threads[8] = { 1, 2 };
	int nsizes = 3, nthreads = 2, rc = 0;
	double secs = 2.0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--alg") == 0 && i + 1 < argc)
			alg = argv[++i];
		else if (strcmp(argv[i], "--secs") == 0 && i + 1 < argc)
			secs = atof(argv[++i]);
		else if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc)
			nsizes = bench_parse_list(argv[++i], sizes, 8);
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			nthreads = bench_parse_list(argv[++i], threads, 8);
		else
			nsizes = -1;
		if (nsizes < 0 || nthreads < 0)
			break;
	}
	if (nsizes <= 0 || nthreads <= 0 || secs <= 0) {
		fprintf(stderr, "usage: afalg_bench [--alg NAME] [--secs S] [--sizes a,b] [--threads a,b]\n");
		return 2;
	}
	for (int s = 0; s < nsizes; s++) {
		if (sizes[s] < 16 || sizes[s] % 16 || sizes[s] > 64 << 20) {
			fprintf(stderr, "afalg_bench: sizes are multiples of 16 up to 64 MiB\n");
			return 2;
		}
		for (int t = 0; t < nthreads; t++) {
			if (threads[t] < 1 || threads[t] > 64)
				return 2;
			if (bench_run_point("afalg_bench", alg, work, (size_t)sizes[s],
					    (int)threads[t], secs) != 0)
				rc = 1;
		}
	}
	return rc;
}
