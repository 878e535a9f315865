#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bench/lib-bench.sh - the crypto engine library against raw OpenSSL
# EVP (build/lib-bench, source tests/bench/lib-bench.c): AES-128-CBC at 64 B
# and 16 KiB, 1 and 2 threads on one shared session.  Prints ratios and
# whether the targets (>= 0.90 at 16 KiB, <= 1 us added at 64 B) were met.
cd "$(dirname "$0")/../.." || exit 1
exec build/lib-bench --seconds "${LIB_BENCH_SECONDS:-0.3}" --rounds "${LIB_BENCH_ROUNDS:-3}"
