#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bench/backend.sh - non-VM benchmark of vhost-user-crypto: the
# daemon's request path over fake guest memory against raw OpenSSL EVP on
# one core (build/backend-bench, pinned to CPU 0 when taskset exists).
# Prints the 16 KiB throughput ratio (target >= 0.90) and the time added
# per 64-byte request (target <= 1 us); never fails on speed.
# BACKEND_BENCH_SECS: length of each timed run (default 0.2 s).
set -u
cd "$(dirname "$0")/../.."
bin=build/backend-bench
[ -x "$bin" ] || make -j2 "$bin" >/dev/null || exit 1
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
"${pin[@]}" "$bin" "${BACKEND_BENCH_SECS:-0.2}"

# Control-path latency: CREATE_SESSION replies while a guest keeps a
# 64-entry ring full of 1 MiB and 16 MiB AES-CBC requests
# (tests/bench/backend-control.py; target: worst < 50 ms).  One worker, so
# that the front-end script has the other core; two rounds per size.
daemon=build/vhost-user-crypto
[ -x "$daemon" ] || make -j2 "$daemon" >/dev/null || exit 1
sockdir=$(mktemp -d /tmp/vuc-bench.XXXXXX)
dpid=
cleanup() { [ -n "$dpid" ] && kill "$dpid" 2>/dev/null; rm -rf "$sockdir"; }
trap cleanup EXIT
for round in 1 2; do
	for size in 1048576 16777216; do
		sock=$sockdir/ctl.sock
		rm -f "$sock"
		"$daemon" --socket "$sock" --engine openssl --workers 1 \
			--max-sessions 100000 >"$sockdir/daemon.log" 2>&1 &
		dpid=$!
		for _ in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.1; done
		echo "control round $round: $(timeout 60 python3 tests/bench/backend-control.py "$sock" "$size" 3)"
		kill "$dpid" 2>/dev/null
		wait "$dpid" 2>/dev/null
		dpid=
	done
done
echo "control-path target: max_ms < 50 at every size"
