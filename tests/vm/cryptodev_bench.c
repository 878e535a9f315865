/* tests/vm/cryptodev_bench.c - AES-128-CBC throughput through /dev/crypto.
 *
 * Owns: measuring ops/s and MB/s of CIOCCRYPT encryption requests of 64 B,
 * 4 KiB and 64 KiB with 1 and 2 threads, each thread with its own open file
 * and session, requests back to back for a fixed time.  Output lines have
 * the format of afalg_bench so the same scripts read both:
 *   bench alg=NAME size=BYTES threads=T ops=N secs=S ops_per_s=X mb_per_s=Y first_cpu=C
 * (threads pinned to vCPUs from C on; 1 thread is measured on every vCPU)
 * NAME is "cryptodev:" followed by the session's cra_driver_name.
 * Usage: cryptodev_bench [--node PATH] [--secs S] [--sizes a,b] [--threads a,b]
 * Does not own: comparing drivers (tests/bench/vm-driver.sh).
 */
#include <pthread.h>
#include <time.h>

#include "cryptodev_test.h"
#include "bench_util.h"

static const char *node = "/dev/crypto";
static char alg[96] = "cryptodev";

static void *work(void *arg)
{
	struct bench_worker *w = arg;
	static const uint8_t key[16] = "0123456789abcdef";
	uint8_t iv[16] = { 0 };
	uint8_t *buf = calloc(1, w->size);
	uint32_t ses;
	double end;
	int fd;

	bench_pin(w->cpu);
	fd = open(node, O_RDWR);
	if (!buf || fd < 0) {
		w->err = fd < 0 ? errno : ENOMEM;
		goto out;
	}
	w->err = sess_new(fd, CRYPTO_AES_CBC, key, 16, &ses);
	if (w->err)
		goto out;
	end = bench_now() + w->secs;
	do {
		for (int i = 0; i < 16; i++) {
			w->err = crypt_do(fd, ses, COP_ENCRYPT, 0, buf, buf,
					  (uint32_t)w->size, iv);
			if (w->err)
				goto out;
			w->ops++;
		}
	} while (bench_now() < end);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* alg = "cryptodev:" + the driver name behind a CBC session. */
static void name_driver(void)
{
	static const uint8_t key[16] = "0123456789abcdef";
	struct session_info_op si;
	uint32_t ses;
	int fd = open(node, O_RDWR);

	if (fd < 0)
		return;
	memset(&si, 0, sizeof(si));
	if (!sess_new(fd, CRYPTO_AES_CBC, key, 16, &ses)) {
		si.ses = ses;
		if (!xioctl(fd, CIOCGSESSINFO, &si))
			snprintf(alg, sizeof(alg), "cryptodev:%s", si.cipher_info.cra_driver_name);
	}
	close(fd);
}

int main(int argc, char **argv)
{
	long sizes[8] = { 64, 4096, 65536 }, threads[8] = { 1, 2 };
	int nsizes = 3, nthreads = 2, rc = 0;
	double secs = 2.0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--node") == 0 && i + 1 < argc)
			node = argv[++i];
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
		fprintf(stderr, "usage: cryptodev_bench [--node PATH] [--secs S] [--sizes a,b] [--threads a,b]\n");
		return 2;
	}
	name_driver();
	for (int s = 0; s < nsizes; s++) {
		if (sizes[s] < 16 || sizes[s] % 16 || sizes[s] > 1 << 20) {
			fprintf(stderr, "cryptodev_bench: sizes are multiples of 16 up to 1 MiB\n");
			return 2;
		}
		for (int t = 0; t < nthreads; t++) {
			if (threads[t] < 1 || threads[t] > 64)
				return 2;
			if (bench_run_point("cryptodev_bench", alg, work, (size_t)sizes[s],
					    (int)threads[t], secs) != 0)
				rc = 1;
		}
	}
	return rc;
}
