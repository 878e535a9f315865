#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/driver-multiqueue.sh - guest side of the several-data-queues check
# of tests/suite-60-vm-driver.sh (vm/run --backend vhost-user --queues 2
# --driver ours).
#
# Owns: a device that advertises more data queues than QEMU serves (QEMU
# wires only data queue 0 to a vhost-user back-end; its builtin back-end
# refuses queues > 1): sysfs reports them, the driver by default uses only
# queue 0, and a stress over /dev/crypto with verified results runs there;
# then driver-sysfs.sh (--added by the suite) on this two-queue device.
# Prints PASS/FAIL lines like the guest programs.  Does not own the checks
# behind cryptodev_kat / cryptodev_stress.
pass() { echo "PASS multiqueue: $*"; }
fail() { echo "FAIL multiqueue: $*"; }
check() { name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
dev=$(ls -d /sys/bus/virtio/drivers/virtio_cryptodev/virtio* 2>/dev/null | head -n 1)
# reqs QUEUE: requests served by that queue so far
reqs() { cat "$dev/cryptodev/queues/$1/requests"; }
want=${1:-2}

check "device bound" [ -n "$dev" ]
max=$(cat "$dev/cryptodev/config/max_dataqueues" 2>/dev/null)
used=$(cat "$dev/cryptodev/used_dataqueues" 2>/dev/null)
check "device advertises $want data queues ($max)" [ "$max" = "$want" ]
check "driver uses 1 of them by default ($used)" [ "$used" = 1 ]
check "known answers" sh -c "cryptodev_kat >/tmp/kat.log"
check "stress, 4 threads, verified round trips" sh -c "cryptodev_stress -t 4 -n 40 -s 30 >/tmp/stress.log"
check "dataq.0 served them ($(reqs dataq.0)), dataq.1 none ($(reqs dataq.1))" \
	[ "$(reqs dataq.0)" -gt 0 -a "$(reqs dataq.1)" = 0 ]
# every sysfs file one value, queues/ with both data queues
check "driver-sysfs.sh on the two-queue device" sh -c "driver-sysfs.sh >/tmp/sysfs.out"
grep -v '^SYSFS ' /tmp/sysfs.out
echo "multiqueue done"
