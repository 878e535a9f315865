#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/driver-checks.sh - guest side of tests/suite-60-vm-driver.sh.
#
# Usage: driver-checks.sh CHAIN BACKEND SESSIONS...
#   CHAIN     ok|unsupported: does the device do cipher+HMAC chaining
#   BACKEND   builtin|vhost-user: what the ABI test expects on the device
#   SESSIONS  arguments of cryptodev_sessions (e.g. "many 10000")
# Owns the order of the frontend checks inside one boot with our
# virtio_cryptodev module loaded: known answers (on /dev/crypto and on the
# per-device node), bad input / isolation / leak check, random ioctls, 8-thread stress
# against OpenSSL (copied and zero-copy), killed waiters, the lib's engine unit test against the
# real device, suspend/resume, the sysfs files (driver-sysfs.sh, one value
# each; then the statistics as vcd-stats prints them), then device removal with a file open (unbind), rmmod refused
# while a file is open, rmmod, insmod
# again and the known answers once more.  Every guest program prints
# PASS/FAIL lines; this script adds one line "STEP NAME rc=N" per step.
# Does not own the checks themselves (tests/vm/cryptodev_*.c).
step() {
	name=$1
	shift
	"$@"
	echo "STEP $name rc=$?"
}
node0=$(ls /dev/cryptodev* 2>/dev/null | head -n1)
chain=${1:-ok}
backend=${2:-builtin}
shift 2 2>/dev/null
step kat cryptodev_kat
step abi cryptodev_abi "$backend"
step abi32 cryptodev_abi32 "$backend"
[ $# -gt 0 ] && step sessions cryptodev_sessions "$@"
step zc cryptodev_zc sizes
step kat-node cryptodev_kat "$node0"
step badinput cryptodev_badinput
step fuzz cryptodev_fuzz 20000
step stress cryptodev_stress -t 8 -n 100 -s 30
step kill cryptodev_stress -k 6
# The same with every request zero-copy (the caller's pinned pages): a
# killed caller's pages stay pinned until the device returns them.
echo 1 >/sys/module/virtio_cryptodev/parameters/zc_threshold
# tagged CMD...: run CMD, its check names marked "(zc)", its status kept.
tagged() {
	"$@" >/tmp/tagged.out
	rc=$?
	sed 's/^\(PASS\|FAIL\) \([a-z]*\):/\1 \2(zc):/' /tmp/tagged.out
	return $rc
}
step stress-zc tagged cryptodev_stress -t 4 -n 40 -s 20
step kill-zc tagged cryptodev_stress -k 3
echo 4096 >/sys/module/virtio_cryptodev/parameters/zc_threshold
step hmac cryptodev_stress -m "$chain"
if command -v test_crypto_engine >/dev/null; then
	CE_TEST_DEVICE=/dev/crypto test_crypto_engine /dev/crypto >/tmp/engine.log 2>&1
	rc=$?
	grep -E '^\[ *(PASSED|FAILED|SKIPPED) *\]' /tmp/engine.log
	echo "STEP engine rc=$rc"
else
	echo "STEP engine rc=127 (no test_crypto_engine in the guest)"
fi
# Suspend and resume (freeze/restore) with the PM core's test mode: the
# devices are suspended for 5 s and resumed; the device must serve again.
suspend() {
	echo devices >/sys/power/pm_test && echo mem >/sys/power/state &&
		dmesg | grep -q 'virtio_cryptodev: cryptodev[0-9]*: suspended' &&
		dmesg | grep -q 'virtio_cryptodev: cryptodev[0-9]*: resumed (0)' &&
		cryptodev_kat >/tmp/kat-resume.log && echo "PASS suspend: known answers after resume"
}
step suspend suspend
# Every sysfs file one value; the files the driver made, for the man page.
step sysfs driver-sysfs.sh
echo "device statistics:"
vcd-stats
dev=$(ls /sys/bus/virtio/drivers/virtio_cryptodev/ | grep '^virtio' | head -n1)
step unbind cryptodev_badinput --unbind "$dev"
step node-gone sh -c "! ls /dev/cryptodev* 2>/dev/null"
# rmmod must refuse while a file is open, then work once it is closed.
step rmmod-busy sh -c '(exec 3</dev/crypto; sleep 3) & sleep 1; rmmod virtio_cryptodev 2>/dev/null; rc=$?; wait; [ $rc -ne 0 ]'
step rmmod rmmod virtio_cryptodev
step reload insmod /lib/modules/vmrun/ours/virtio_cryptodev.ko
sleep 1
step kat-reload cryptodev_kat /dev/crypto
exit 0
