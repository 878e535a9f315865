#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/driver-multidev.sh - guest side of the several-devices checks of
# tests/suite-60-vm-driver.sh (vm/run --devices A,B --driver ours).
#
# Owns: per-device nodes /dev/cryptodevN reaching their own device (shown by
# that device's request counter in sysfs), /dev/crypto spreading sessions
# over all devices, the sysfs files of both (driver-sysfs.sh), and
# unbinding one device leaving the others serving.
# Prints PASS/FAIL lines like the guest programs.  Does not own the checks
# behind cryptodev_kat / cryptodev_stress.
pass() { echo "PASS multidev: $*"; }
fail() { echo "FAIL multidev: $*"; }
check() { name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
sys=/sys/bus/virtio/drivers/virtio_cryptodev
# reqs DEVICE: requests its data queues have served so far
reqs() { cat /sys/bus/virtio/devices/$1/cryptodev/queues/dataq.*/requests | awk '{ n += $1 } END { print n + 0 }'; }

devs=$(ls $sys | grep '^virtio')
n=$(echo $devs | wc -w)
check "$n devices bound (want 2)" [ "$n" -eq 2 ]
[ "$n" -ge 2 ] || exit 1
set -- $devs
d0=$1 d1=$2
n0=$(cat /sys/bus/virtio/devices/$d0/cryptodev/node)
n1=$(cat /sys/bus/virtio/devices/$d1/cryptodev/node)
check "nodes /dev/$n0 and /dev/$n1 exist, mode 0666" \
	sh -c "[ -c /dev/$n0 ] && [ -c /dev/$n1 ] && ls -l /dev/$n0 /dev/$n1 | grep -c '^crw-rw-rw-' | grep -qx 2"

for pair in "$d0 $n0 $d1" "$d1 $n1 $d0"; do
	set -- $pair
	a0=$(reqs $1) b0=$(reqs $3)
	check "known answers on /dev/$2" sh -c "cryptodev_kat /dev/$2 >/tmp/kat.log"
	a1=$(reqs $1) b1=$(reqs $3)
	check "/dev/$2 reached its own device $1 ($a0 -> $a1 requests) and not $3 ($b0 -> $b1)" \
		[ "$a1" -gt "$a0" -a "$b1" -eq "$b0" ]
done

a0=$(reqs $d0) b0=$(reqs $d1)
check "stress on /dev/crypto" sh -c "cryptodev_stress -t 4 -n 40 -s 30 >/tmp/stress.log"
a1=$(reqs $d0) b1=$(reqs $d1)
check "/dev/crypto used both devices ($d0: $a0 -> $a1, $d1: $b0 -> $b1)" \
	[ "$a1" -gt "$a0" -a "$b1" -gt "$b0" ]

# every sysfs file of both devices one value (driver-sysfs.sh, --added)
check "driver-sysfs.sh on both devices" sh -c "driver-sysfs.sh >/tmp/sysfs.out"
grep -v '^SYSFS ' /tmp/sysfs.out
check "unbind $d0" sh -c "echo $d0 > $sys/unbind"
check "/dev/$n0 removed, /dev/$n1 stays" sh -c "[ ! -e /dev/$n0 ] && [ -c /dev/$n1 ]"
check "known answers on /dev/crypto with one device left" sh -c "cryptodev_kat >/tmp/kat2.log"
check "known answers on /dev/$n1 with one device left" sh -c "cryptodev_kat /dev/$n1 >/tmp/kat3.log"
check "rebind $d0" sh -c "echo $d0 > $sys/bind"
check "known answers on the rebound device's node" \
	sh -c "cryptodev_kat /dev/\$(cat /sys/bus/virtio/devices/$d0/cryptodev/node) >/tmp/kat4.log"
echo "multidev done"
