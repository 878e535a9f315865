#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/stock-checks.sh - guest side of tests/suite-50-vm-stock.sh.
#
# Runs inside the VM (vm/run --add) with the stock virtio_crypto driver loaded
# and prints one line "CHECK ok NAME" or "CHECK FAIL NAME" per check:
#   selftest  /proc/crypto lists virtio_crypto_aes_cbc with "selftest : passed"
#   kat       afalg_kat: NIST SP 800-38A CBC vectors, 128/192/256-bit keys,
#             through AF_ALG bound to virtio_crypto_aes_cbc
#   stress    afalg_stress: threads with random sizes and keys, every result
#             compared with OpenSSL and round-tripped
# Exits non-zero if any check failed.  Does not own: the host side, which
# boots the VM per kernel and backend and turns these lines into PASS/FAIL.
failed=0
check() {
	name=$1
	shift
	if "$@" >/tmp/check.out 2>&1; then
		echo "CHECK ok $name"
	else
		echo "CHECK FAIL $name"
		failed=1
	fi
	sed 's/^/  /' /tmp/check.out
}

selftest() {
	i=0
	while [ $i -lt 100 ]; do
		# the real entry, not the "larval" one listed while the test runs
		st=$(awk -v RS= '/driver *: virtio_crypto_aes_cbc\n/ && !/type *: larval/' /proc/crypto |
			awk '$1 == "selftest" { print $3 }')
		[ -n "$st" ] && [ "$st" != unknown ] && break
		sleep 0.1
		i=$((i + 1))
	done
	echo "virtio_crypto_aes_cbc selftest: ${st:-not listed}"
	[ "$st" = passed ]
}

check selftest selftest
check kat afalg_kat
check stress afalg_stress -t "${STRESS_THREADS:-4}" -n "${STRESS_OPS:-150}"
exit $failed
