#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bench/vm-bulk.sh - bulk crypto and requests in flight through our
# /dev/crypto vs the stock virtio_crypto driver, one vCPU.
#
# Owns, per round (BENCH_ROUNDS, default 3; the two drivers alternate within
# a round), on kernel BENCH_KERNEL (default 6.1) with back-end BENCH_BACKEND
# (default vhost-user) and one vCPU (a lone guest thread's speed depends on
# which vCPU takes the interrupt; with one there is no choice):
#   ours:  cryptodev_bench, AES-128-CBC encryption, 1 thread, 64 KiB, 1 MiB
#          and 16 MiB requests; then 64 B requests synchronously and with 32
#          in flight from the one thread (CIOCASYNCCRYPT)
#   stock: afalg_bench on virtio_crypto (AF_ALG), the same sizes, fed to the
#          kernel in 64 KiB pieces
# and the host's own AES-128-CBC speed (openssl speed, 16 MiB blocks).
# Prints per size the ratio ours / stock of every round, their median and
# spread, the fraction of the host's AES throughput our 16 MiB requests
# reach, and async / sync at 64 B; writes the table to
# docs/bench-bulk.md (docs/bench-bulk-BACKEND.md for another back-end).
# Targets (issue 12): >= 1.5x stock at 64 KiB, >= 2x at 1 MiB, >= 30 % of the
# host at 16 MiB.  Never fails on speed; exits 1 if a run failed.
set -u
cd "$(dirname "$0")/../.." || exit 1
kernel=${BENCH_KERNEL:-6.1}
backend=${BENCH_BACKEND:-vhost-user}
secs=${BENCH_SECS:-3}
rounds=${BENCH_ROUNDS:-3}
sizes=65536,1048576,16777216
out=build/bench/vm-bulk
mkdir -p "$out"
rc=0
make -s -j2 build/guest/cryptodev_bench build/guest/afalg_bench >"$out/guest-build.log" 2>&1 ||
	{ cat "$out/guest-build.log"; exit 1; }

rm -f "$out"/*.txt
for round in $(seq "$rounds"); do
	for driver in ours stock; do
		if [ $driver = ours ]; then
			cmd="cryptodev_bench --secs $secs --threads 1 --sizes $sizes &&
			     cryptodev_bench --secs $secs --threads 1 --sizes 64 &&
			     cryptodev_bench --secs $secs --threads 1 --sizes 64 --inflight 32"
		else
			cmd="afalg_bench --secs $secs --threads 1 --sizes $sizes"
		fi
		echo "# round $round, $driver (--cpus 1, $backend, $kernel)"
		if ! vm/run --kernel "$kernel" --cpus 1 --mem 768 --backend "$backend" --driver $driver \
			--timeout 400 -- "$cmd" >"$out/$driver.$round.txt" 2>"$out/$driver.$round.err"; then
			echo "# $driver run failed:"
			tail -n 5 "$out/$driver.$round.err" "$out/$driver.$round.txt" | sed 's/^/#   /'
			rc=1
		fi
	done
done
host_line=$(openssl speed -elapsed -seconds "$secs" -bytes 16777216 -evp aes-128-cbc 2>/dev/null |
	awk '/^aes-128-cbc|^AES-128-CBC/ {print $NF}')
host_mbs=$(awk -v k="${host_line%k}" 'BEGIN { if (k + 0 > 0) printf "%.0f", k * 1000 / 1e6 }')

# field FILE SIZE ALGPATTERN FIELD: FIELD of the point in one round's file.
field() {
	awk -v size="$2" -v pat="$3" -v f="$4" '
		$1 == "bench" {
			delete kv
			for (i = 2; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
			if (kv["size"] == size && kv["alg"] ~ pat) v = kv[f]
		}
		END { if (v != "") print v }' "$1" 2>/dev/null
}
# stats: "r1 r2 ..." -> "median (min-max)"
stats() {
	echo "$@" | tr ' ' '\n' | grep -v '^$' | sort -g |
		awk '{ v[NR] = $1 } END { if (!NR) { print "n/a"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.2fx (%.2f-%.2f)", m, v[1], v[NR] }'
}
median() {
	echo "$@" | tr ' ' '\n' | grep -v '^$' | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

table=$out/table.md
{
	echo "| size | ours MB/s (median) | stock MB/s (median) | ours / stock per round | median (spread) | target |"
	echo "| ---: | ---: | ---: | --- | ---: | ---: |"
	for size in 65536 1048576 16777216; do
		rs="" om="" sm=""
		for round in $(seq "$rounds"); do
			o=$(field "$out/ours.$round.txt" $size 'virtio_cryptodev$' mb_per_s)
			s=$(field "$out/stock.$round.txt" $size . mb_per_s)
			om="$om $o" sm="$sm $s"
			[ -n "$o" ] && [ -n "$s" ] && rs="$rs $(awk -v a="$o" -v b="$s" 'BEGIN { printf "%.2f", a / b }')"
		done
		t=""
		[ $size = 65536 ] && t=1.5x
		[ $size = 1048576 ] && t=2x
		echo "| $size B | $(median $om) | $(median $sm) | ${rs# } | $(stats $rs) | $t |"
	done
	echo
	ours16=$(median $(for r in $(seq "$rounds"); do field "$out/ours.$r.txt" 16777216 'virtio_cryptodev$' mb_per_s; done))
	echo "Host AES-128-CBC (openssl speed, 16 MiB blocks, one core): ${host_mbs:-n/a} MB/s;" \
		"ours at 16 MiB: ${ours16:-n/a} MB/s =" \
		"$(awk -v a="${ours16:-0}" -v b="${host_mbs:-0}" 'BEGIN { if (b > 0) printf "%.0f %%", 100 * a / b; else print "n/a" }')" \
		"of the host (target 30 %)."
	echo
	rs=""
	for round in $(seq "$rounds"); do
		a=$(field "$out/ours.$round.txt" 64 'async32$' ops_per_s)
		s=$(field "$out/ours.$round.txt" 64 'virtio_cryptodev$' ops_per_s)
		[ -n "$a" ] && [ -n "$s" ] && rs="$rs $(awk -v a="$a" -v b="$s" 'BEGIN { printf "%.2f", a / b }')"
		echo "Round $round, 64 B, one thread: synchronous ${s:-n/a} ops/s, 32 in flight ${a:-n/a} ops/s."
	done
	echo
	echo "32 in flight / synchronous at 64 B: $(stats $rs)."
} >"$table"
cat "$table"

doc=docs/bench-bulk.md
[ "$backend" = vhost-user ] || doc=docs/bench-bulk-$backend.md
qemu=$(qemu-system-x86_64 --version | head -n1 | sed 's/QEMU emulator version //')
{
	cat <<EOF
# VM benchmark: bulk requests and requests in flight

Generated by \`tests/bench/vm-bulk.sh\` (part of \`make bench\`); do not edit by hand.

- When: $(date -u '+%Y-%m-%d %H:%M UTC'), host load average $(cut -d' ' -f1-3 /proc/loadavg)
- Guest: Debian kernel $kernel, QEMU $qemu under TCG, **1 vCPU**, back-end $backend for both drivers.
- $rounds rounds, the drivers alternating in each; $secs s per point; one thread.
- Ours: \`cryptodev_bench\`, AES-128-CBC encryption through /dev/crypto (zero-copy at these sizes).
- Stock: \`afalg_bench\`, AF_ALG on \`virtio_crypto_aes_cbc\`, requests above 64 KiB fed in 64 KiB pieces.

EOF
	cat "$table"
	[ $rc -ne 0 ] && printf '\nRuns that failed are shown as n/a; see build/bench/vm-bulk/*.err.\n'
} >"$doc"
exit $rc
