#!/usr/bin/env bash
# tests/suite-10-lib.sh - the crypto engine library (lib/): its cmocka unit
# tests, plain and under ASan+UBSan.  Expects `make all tests` and
# `make SAN=1 all tests` to have run (tests/run-all does).  The device engine
# KATs run too when /dev/crypto exists or CE_TEST_DEVICE names a node.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh

for bin in build/test_crypto_engine build/san/test_crypto_engine; do
	if [ -x "$bin" ]; then
		t_cmocka "$bin" "$bin"
	else
		t_fail "$bin not built (run make all tests; make SAN=1 all tests)"
	fi
done
t_summary
