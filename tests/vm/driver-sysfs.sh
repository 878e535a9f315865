#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/driver-sysfs.sh - guest side of the sysfs checks of
# tests/suite-60-vm-driver.sh (with our virtio_cryptodev module loaded).
#
# Usage: driver-sysfs.sh
# Owns, for every device bound to virtio_cryptodev: every file under its
# cryptodev/ directory is read-only (0444) and reads as one line holding one
# value (the sysfs rule); there is one queues/ directory per data queue the
# device advertises (config/max_dataqueues) plus controlq, each with the same
# files; used_dataqueues is between 1 and max_dataqueues; every module
# parameter reads as one value.
# Prints PASS/FAIL lines like the guest programs, then what the driver
# created, for the host's comparison with virtio_cryptodev(4)
# (tests/check-man-pages live): "SYSFS file PATH" (PATH relative to
# cryptodev/) and "SYSFS param NAME".  Exits 1 after any FAIL.  Does not own
# the values' meaning.
pass() { echo "PASS sysfs: $*"; }
failed=0
fail() { echo "FAIL sysfs: $*"; failed=$((failed + 1)); }
drv=/sys/bus/virtio/drivers/virtio_cryptodev
params=/sys/module/virtio_cryptodev/parameters

# one_value FILE: FILE reads as exactly one line of exactly one word.
one_value() {
	[ "$(wc -l <"$1")" = 1 ] && [ "$(wc -w <"$1")" = 1 ]
}

devs=$(ls "$drv" | grep '^virtio')
if [ -z "$devs" ]; then
	fail "no device bound to virtio_cryptodev"
	exit 1
fi
first=$(echo "$devs" | head -n 1)
for d in $devs; do
	dir=/sys/bus/virtio/devices/$d/cryptodev
	n=0 bad=0
	for f in $(cd "$dir" && find . -type f | sed 's|^\./||' | sort); do
		n=$((n + 1))
		if ! one_value "$dir/$f"; then
			bad=$((bad + 1))
			fail "$d: cryptodev/$f holds more or less than one value: $(head -c 200 "$dir/$f" | tr '\n' '|')"
		fi
		mode=$(stat -c %a "$dir/$f")
		if [ "$mode" != 444 ]; then
			bad=$((bad + 1))
			fail "$d: cryptodev/$f has mode $mode, want 444"
		fi
		[ "$d" = "$first" ] && echo "SYSFS file $f"
	done
	if [ "$n" -gt 0 ] && [ "$bad" = 0 ]; then
		pass "$d: each of the $n files under cryptodev/ is read-only and holds one value"
	elif [ "$n" = 0 ]; then
		fail "$d: no files under cryptodev/"
	fi
	max=$(cat "$dir/config/max_dataqueues" 2>/dev/null) || max=0
	used=$(cat "$dir/used_dataqueues" 2>/dev/null) || used=0
	want="controlq"
	i=0
	while [ "$i" -lt "$max" ]; do
		want="$want dataq.$i"
		i=$((i + 1))
	done
	got=$(ls "$dir/queues" 2>/dev/null | sort | tr '\n' ' ')
	want=$(echo $want | tr ' ' '\n' | sort | tr '\n' ' ')
	if [ "$got" = "$want" ]; then
		pass "$d: queues/ has controlq and the $max data queues the device advertises"
	else
		fail "$d: queues/ has '$got', want '$want'"
	fi
	# every queue directory has the same files
	files0=""
	for q in $(ls "$dir/queues" 2>/dev/null); do
		files=$(ls "$dir/queues/$q" | tr '\n' ' ')
		[ -n "$files0" ] || files0=$files
		[ "$files" = "$files0" ] || fail "$d: queues/$q has '$files', other queues '$files0'"
	done
	if [ "$used" -ge 1 ] && [ "$used" -le "$max" ]; then
		pass "$d: used_dataqueues $used of max_dataqueues $max"
	else
		fail "$d: used_dataqueues $used, max_dataqueues $max"
	fi
done

n=0 bad=0
for p in $(ls "$params"); do
	n=$((n + 1))
	if ! one_value "$params/$p"; then
		bad=$((bad + 1))
		fail "module parameter $p holds more or less than one value"
	fi
	echo "SYSFS param $p"
done
if [ "$n" -gt 0 ] && [ "$bad" = 0 ]; then
	pass "each of the $n module parameters holds one value"
elif [ "$n" = 0 ]; then
	fail "no module parameters in $params"
fi
echo "sysfs done"
[ "$failed" = 0 ]
