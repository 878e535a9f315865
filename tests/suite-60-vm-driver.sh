#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/suite-60-vm-driver.sh - our guest frontend (driver/virtio_cryptodev.ko)
# in a VM, against both backends on both guest kernels.
#
# Owns, per (kernel 6.1|6.12) x (backend builtin|vhost-user), one boot with
# `vm/run --driver ours` running tests/vm/driver-checks.sh: SP 800-38A known
# answers through /dev/crypto and /dev/cryptodev0; the whole ABI with known
# answers from the standards (cryptodev_abi, also as a 32-bit program through
# the compat ioctls: hashes, HMACs, every cipher, AEAD/TLS/SRTP, CIOCCPHASH,
# async calls, where each session runs, 1000 sessions); sessions beyond the
# device's table (10,000 on one file, 100 files x 100); zero-copy and
# requests of any size (4 and 64 MiB = chained 64 KiB requests, unaligned,
# overlapping, EFAULT before the device); bad input / errno / isolation /
# slab leak check; 20000 random ioctls; 8-thread stress against OpenSSL,
# copied and zero-copy; killed waiters; cipher+HMAC; the lib's engine test;
# suspend/resume (freeze/restore); every sysfs file one value and the
# files and parameters the driver made are those of virtio_cryptodev(4);
# unbind with requests in flight; rmmod and reload.  Every PASS/FAIL line the guest programs print becomes a check
# here, every step must end with rc=0 and the run must end clean (vm/run
# exit 0: no oops/WARNING).  More boots: two devices (per-device nodes,
# spreading, unbind one); a device advertising 2 queues; a ring without
# indirect descriptors; recovery (a daemon with --max-sessions 16 serving
# 1000 sessions in turn, then stopped while a zero-copy request waits: reset,
# EIO, the reused buffer never changes, service resumes); killing the
# vhost-user daemon under load (dead back-end).  The module must also build
# warning-free with W=1 for both kernels.  vhost-user cases FAIL (never
# skip) while build/vhost-user-crypto does not exist.
# Logs: build/test-logs/vm-driver/.
# Does not own: the module (driver/), vm/run, the guest programs' logic.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
logs=build/test-logs/vm-driver
mkdir -p "$logs"

# guest_checks TAG LOG: every PASS/FAIL line of the guest programs is a check.
guest_checks() {
	local line
	while IFS= read -r line; do
		case $line in
		"PASS "*) t_pass "$1: ${line#PASS }" ;;
		"FAIL "*) t_fail "$1: ${line#FAIL }" ;;
		esac
	done <"$2"
}

if make -j2 build/guest/cryptodev_kat build/guest/cryptodev_badinput \
	build/guest/cryptodev_stress build/guest/cryptodev_fuzz build/guest/test_crypto_engine \
	build/guest/cryptodev_abi build/guest/cryptodev_abi32 build/guest/cryptodev_sessions \
	build/guest/cryptodev_zc build/guest/vcd-stats >"$logs/guest-build.log" 2>&1; then
	t_pass "guest programs build"
else
	t_fail "guest programs build (see $logs/guest-build.log)"
	tail -n 20 "$logs/guest-build.log"
fi

for kernel in 6.1 6.12; do
	if kdir=$(vm/fetch-headers $kernel 2>"$logs/headers-$kernel.log") &&
		make -C driver KDIR="$kdir" W=1 >"$logs/build-$kernel.log" 2>&1; then
		if grep -E 'warning:|error:' "$logs/build-$kernel.log" >/dev/null; then
			t_fail "module builds warning-free with W=1 for $kernel (see $logs/build-$kernel.log)"
		else
			t_pass "module builds warning-free with W=1 for $kernel"
		fi
	else
		t_fail "module builds for $kernel (see $logs/build-$kernel.log)"
	fi
done

steps="kat abi abi32 sessions zc kat-node badinput fuzz stress kill stress-zc kill-zc hmac engine suspend sysfs unbind node-gone rmmod-busy rmmod reload kat-reload"
for backend in builtin vhost-user; do
	for kernel in 6.1 6.12; do
		tag="$kernel $backend"
		log=$logs/$kernel-$backend.log
		if [ $backend = vhost-user ] && [ ! -x build/vhost-user-crypto ]; then
			t_fail "$tag: build/vhost-user-crypto does not exist"
			continue
		fi
		# QEMU's builtin backend has no algorithm chaining; ours has.
		chain=ok
		[ $backend = builtin ] && chain=unsupported
		# Sessions beyond the device's table: 10,000 on one file (6.1),
		# 100 files x 100 (6.12).
		sessions="many 10000"
		[ $kernel = 6.12 ] && sessions="files 100 100"
		start=$(date +%s)
		vm/run --kernel "$kernel" --backend "$backend" --driver ours --cpus 2 --mem 768 \
			--timeout 400 --add tests/vm/driver-checks.sh --add tests/vm/driver-sysfs.sh \
			-- driver-checks.sh $chain $backend $sessions >"$log" 2>&1
		rc=$?
		echo "# $tag: vm/run exit $rc after $(($(date +%s) - start)) s"
		guest_checks "$tag" "$log"
		for s in $steps; do
			if grep -qx "STEP $s rc=0" "$log"; then
				t_pass "$tag: step $s ends with rc=0"
			else
				t_fail "$tag: step $s: $(grep "^STEP $s " "$log" || echo 'did not run') (log $log)"
			fi
		done
		grep -E '^\[ *(PASSED|FAILED|SKIPPED) *\]' "$log" | sed "s/^/# $tag engine: /"
		if [ $rc -eq 0 ]; then
			t_pass "$tag: run clean (exit 0, no kernel errors)"
		else
			t_fail "$tag: vm/run exit $rc (log $log)"
			grep -E 'vm/run:|@@VMRUN: dmesg' "$log" | head -n 20 | sed 's/^/    /'
		fi
	done
done
# ---- the sysfs files and module parameters the driver made in those boots
# (driver-sysfs.sh's SYSFS lines) are those virtio_cryptodev(4) describes.
live=$logs/sysfs-live.txt
for kernel in 6.1 6.12; do
	for backend in builtin vhost-user; do
		sed -n 's/^SYSFS //p' "$logs/$kernel-$backend.log" 2>/dev/null
	done
done | sort -u >"$live"
if [ ! -s "$live" ]; then
	t_fail "no boot listed its sysfs files (driver-sysfs.sh did not run)"
elif tests/check-man-pages live "$live" >"$logs/check-man-live.log" 2>&1; then
	t_pass "virtio_cryptodev(4) describes the $(grep -c '^file ' "$live") sysfs files and $(grep -c '^param ' "$live") parameters the driver made, and no others"
else
	t_fail "virtio_cryptodev(4) and the driver's sysfs files differ:"
	sed 's/^/    /' "$logs/check-man-live.log"
fi

# guest_script TAG NAME VM_RUN_ARGS... -- COMMAND: boot with the vhost-user
# daemon, run tests/vm/driver-NAME.sh; its PASS/FAIL lines become checks and
# the run must end with "NAME done" and exit 0.
guest_script() {
	local tag=$1 name=$2 log=$logs/$2.log rc
	shift 2
	if [ ! -x build/vhost-user-crypto ]; then
		t_fail "$tag: build/vhost-user-crypto does not exist"
		return
	fi
	vm/run --driver ours --cpus 2 --timeout 240 --add "tests/vm/driver-$name.sh" \
		--add tests/vm/driver-sysfs.sh "$@" >"$log" 2>&1
	rc=$?
	guest_checks "$tag" "$log"
	if [ $rc -eq 0 ] && grep -qx "$name done" "$log"; then
		t_pass "$tag: run complete and clean"
	else
		t_fail "$tag: vm/run exit $rc (log $log)"
	fi
}

# ---- two devices (issue 5): /dev/cryptodevN per device, /dev/crypto over
# both, unbind one and the other keeps serving.
guest_script "6.12 builtin+vhost-user two devices" multidev \
	--kernel 6.12 --devices builtin,vhost-user -- driver-multidev.sh

# ---- a device advertising 2 data queues (vhost-user: QEMU serves queue 0) --
guest_script "6.1 vhost-user --queues 2" multiqueue \
	--kernel 6.1 --backend vhost-user --queues 2 -- driver-multiqueue.sh 2

# ---- a ring without indirect descriptors (each request bounded by a
# quarter of the ring): large requests split accordingly.
tag="6.12 builtin indirect_desc=off"
log=$logs/no-indirect.log
VIRTIO_CRYPTO_DEVICE_OPTS=",indirect_desc=off" vm/run --kernel 6.12 --backend builtin \
	--driver ours --cpus 2 --mem 768 --timeout 300 \
	-- 'dmesg | grep "descriptors per request"; cryptodev_zc sizes; cryptodev_kat' >"$log" 2>&1
rc=$?
guest_checks "$tag" "$log"
if [ $rc -eq 0 ] && grep -q ' 256 descriptors per request' "$log"; then
	t_pass "$tag: 256 descriptors per request, run clean"
else
	t_fail "$tag: vm/run exit $rc or indirect descriptors still on (log $log)"
fi

# with_daemon LOG MARKER ACTION VM_RUN_ARGS...: run vm/run in the background
# with the daemons' pids in a file; once the guest printed a line starting
# with MARKER, run ACTION (shell code, the pids in $pids); vm/run's status.
with_daemon() {
	local log=$1 marker=$2 action=$3 pidfile vm rc
	shift 3
	pidfile=$(mktemp)
	VHOST_USER_CRYPTO_PIDFILE=$pidfile vm/run "$@" >"$log" 2>&1 &
	vm=$!
	for _ in $(seq 600); do
		grep -q "^$marker" "$log" && break
		kill -0 $vm 2>/dev/null || break
		sleep 0.5
	done
	if grep -q "^$marker" "$log"; then
		pids=$(cat "$pidfile")
		eval "$action"
	fi
	wait $vm
	rc=$?
	rm -f "$pidfile"
	return $rc
}

# ---- recovery: a daemon with room for 16 sessions serving 1000 in turn;
# then the daemon is stopped (SIGSTOP) longer than timeout_ms while a
# zero-copy request is in flight: the driver resets the device, the call
# fails with EIO, the buffer the caller then reuses must never change, and
# the device serves again once the daemon is resumed.
tag="6.1 vhost-user recovery"
log=$logs/recovery.log
if [ ! -x build/vhost-user-crypto ]; then
	t_fail "$tag: build/vhost-user-crypto does not exist"
else
	VHOST_USER_CRYPTO_ARGS="--max-sessions 16" with_daemon "$log" LATE-READY \
		'sleep 1; kill -STOP $pids; sleep 6; kill -CONT $pids' \
		--kernel 6.1 --backend vhost-user --driver ours --cpus 2 --timeout 300 \
		-- 'cryptodev_sessions turn 1000 && echo 2000 >/sys/module/virtio_cryptodev/parameters/timeout_ms && cryptodev_zc late && grep -q "^1$" /sys/bus/virtio/devices/virtio0/cryptodev/resets && echo "PASS late: one device reset counted"'
	rc=$?
	guest_checks "$tag" "$log"
	if [ $rc -eq 0 ] && grep -q '^late: [0-9]* passed, 0 failed' "$log"; then
		t_pass "$tag: run complete and clean"
	else
		t_fail "$tag: vm/run exit $rc (log $log)"
	fi
fi

# ---- dead back-end: the host kills vhost-user-crypto while the guest has
# requests in flight; they and later calls must fail with EIO, the builtin
# device beside it keeps serving /dev/crypto (vm/run then exits 123, the
# daemon having died; no kernel error may show).
tag="6.1 vhost-user dead back-end (+ builtin device)"
log=$logs/dead-backend.log
if [ ! -x build/vhost-user-crypto ]; then
	t_fail "$tag: build/vhost-user-crypto does not exist"
else
	# The vhost-user device comes first on the PCI bus: /dev/cryptodev0.
	with_daemon "$log" DEAD-BACKEND-READY 'sleep 1; kill -KILL $pids' \
		--kernel 6.1 --devices vhost-user,builtin --driver ours --cpus 2 --timeout 200 \
		-- 'cryptodev_badinput --dead-backend /dev/cryptodev0'
	rc=$?
	guest_checks "$tag" "$log"
	if grep -q '^dead-backend: [0-9]* passed, 0 failed' "$log"; then
		t_pass "$tag: guest program finished"
	else
		t_fail "$tag: guest program did not finish (log $log)"
	fi
	if [ $rc -eq 123 ] && ! grep -q 'KERNEL-ERROR' "$log"; then
		t_pass "$tag: vm/run exit 123 (daemon killed), no kernel errors"
	else
		t_fail "$tag: vm/run exit $rc, want 123 without kernel errors (log $log)"
	fi
fi
t_summary
