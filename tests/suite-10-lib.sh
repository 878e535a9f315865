#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/suite-10-lib.sh - the crypto engine library (lib/): its cmocka unit
# tests, plain and under ASan+UBSan, and a short run of its libFuzzer target.
# Expects `make all tests` and `make SAN=1 all tests` to have run
# (tests/run-all does); builds the fuzz target itself.  The device engine
# KATs run on a stand-in node always, and on a real node too when
# /dev/crypto exists or CE_TEST_DEVICE names one.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
LOGS=build/test-logs/lib
mkdir -p "$LOGS"

for bin in build/test_crypto_engine build/san/test_crypto_engine; do
	if [ -x "$bin" ]; then
		t_cmocka "$bin" "$bin"
	else
		t_fail "$bin not built (run make all tests; make SAN=1 all tests)"
	fi
done

# ce_* against OpenSSL called directly, random inputs, bounded in time.
if make -s build/fuzz/fuzz_lib_engine >"$LOGS/fuzz-build.log" 2>&1; then
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	(cd "$work" && "$OLDPWD/build/fuzz/fuzz_lib_engine" -max_total_time=15 \
		-timeout=5 -rss_limit_mb=1024 .) >"$LOGS/fuzz.log" 2>&1
	rc=$?
	tail -n 1 "$LOGS/fuzz.log"
	t_check "fuzz_lib_engine 15 s: ce_* agrees with OpenSSL" test $rc -eq 0
else
	cat "$LOGS/fuzz-build.log"
	t_fail "build fuzz_lib_engine"
fi
t_summary
