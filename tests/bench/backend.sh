#!/usr/bin/env bash
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
