#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/suite-50-vm-stock.sh - the stock Linux virtio_crypto driver in a VM
# against both backends on both guest kernels, and vm/run's own behaviour.
#
# Owns, per (kernel 6.1|6.12) x (backend builtin|vhost-user), one boot that
# runs tests/vm/stock-checks.sh in the guest: kernel self-test passed for
# virtio_crypto_aes_cbc, AF_ALG known-answer tests through the device (every
# key size), multi-threaded stress verified against OpenSSL; plus that the run
# ends with status 0 (no oops/WARNING).  vhost-user cases FAIL (never skip)
# while build/vhost-user-crypto does not exist.  Then vm/run itself: exit
# status propagation, --add, --net (guest fetches from a host 127.0.0.1
# server at 10.0.2.2), --devices, clean stdout, guest watchdog, host timeout
# a kernel panic or WARNING failing the run, a killed daemon reported.  Logs: build/test-logs/vm-stock/.
# Does not own: vm/run, the guest programs (tests/vm/), the daemon.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
logs=build/test-logs/vm-stock
mkdir -p "$logs"
tmp=$(mktemp -d)
srv_pid=
cleanup() {
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

if make -j2 build/guest/afalg_kat build/guest/afalg_stress >"$logs/guest-build.log" 2>&1; then
	t_pass "guest programs build"
else
	t_fail "guest programs build (see $logs/guest-build.log)"
	tail -n 20 "$logs/guest-build.log"
fi

# ---- vm/run's command line (no boot)
t_check "vm/run --help exits 0 with the usage" sh -c 'vm/run --help | grep -q "^usage: vm/run"'
vm/run --kernel 5.10 -- true >/dev/null 2>"$tmp/usage.err"
rc=$?
t_check "vm/run: a bad option value gives exit 125 (got $rc)" [ $rc -eq 125 ]
t_check "vm/run: a bad option value is reported" grep -q 'kernel must be 6.1 or 6.12' "$tmp/usage.err"
vm/run --add "$tmp/does-not-exist" -- true >/dev/null 2>"$tmp/usage.err"
rc=$?
t_check "vm/run: a missing --add file gives exit 125 (got $rc)" [ $rc -eq 125 ]

# ---- stock driver x backend x kernel: one boot each
for backend in builtin vhost-user; do
	for kernel in 6.1 6.12; do
		log=$logs/$kernel-$backend.log
		tag="$kernel $backend"
		start=$(date +%s)
		vm/run --kernel "$kernel" --backend "$backend" --driver stock --cpus 2 \
			--timeout 240 --add tests/vm/stock-checks.sh -- stock-checks.sh >"$log" 2>&1
		rc=$?
		echo "# $tag: vm/run exit $rc after $(($(date +%s) - start)) s"
		for check in selftest kat stress; do
			if grep -qx "CHECK ok $check" "$log"; then
				t_pass "$tag: $check"
			else
				t_fail "$tag: $check (vm/run exit $rc, log $log)"
			fi
		done
		if [ $rc -eq 0 ]; then
			t_pass "$tag: run clean (exit 0, no kernel errors)"
		else
			t_fail "$tag: run exit $rc (log $log)"
			grep -E 'vm/run:|CHECK FAIL|FAIL|failed|differs' "$log" | head -n 15 | sed 's/^/    /'
		fi
	done
done

# ---- vm/run behaviour (6.1, builtin)
# One boot: exit status, --add, --net to a host 127.0.0.1 server, two devices
# with different backends.
mkdir -p "$tmp/www"
token=vmrun-token-$RANDOM$RANDOM
echo "$token" >"$tmp/www/token.txt"
port=$(t_free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$tmp/www" "$port" >/dev/null 2>&1 &
srv_pid=$!
for _ in $(seq 50); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
	sleep 0.1
done
printf '#!/bin/sh\necho "added-program-ran with $*"\n' >"$tmp/vmrun-added"
chmod +x "$tmp/vmrun-added"
vm/run --net --devices builtin,vhost-user --add "$tmp/vmrun-added" --timeout 120 -- \
	'vmrun-added a1;' \
	'wget -q -O - http://10.0.2.2:'"$port"'/token.txt;' \
	'echo devices=$(ls -d /sys/bus/virtio/drivers/virtio_crypto/virtio* | wc -l);' \
	'exit 3' >"$tmp/a.out" 2>"$tmp/a.err"
rc=$?
cat "$tmp/a.out" "$tmp/a.err" >"$logs/harness-a.log"
t_check "vm/run: COMMAND's exit status 3 comes back (got $rc)" [ $rc -eq 3 ]
t_check "vm/run: --add file runs from the guest PATH" grep -qx 'added-program-ran with a1' "$tmp/a.out"
t_check "vm/run: --net reaches a host 127.0.0.1 server at 10.0.2.2" grep -qx "$token" "$tmp/a.out"
t_check "vm/run: --devices builtin,vhost-user gives 2 virtio-crypto devices" grep -qx 'devices=2' "$tmp/a.out"
t_check "vm/run: stdout has only the command's output" \
	[ "$(grep -c -v -e '^added-program-ran' -e "^$token\$" -e '^devices=' "$tmp/a.out")" -eq 0 ]
kill "$srv_pid" 2>/dev/null
srv_pid=

# expect_exit NAME STATUS STDERR-TEXT VM/RUN-ARGS... : vm/run exits with
# STATUS and says STDERR-TEXT on stderr (a harness failure, reported).
expect_exit() {
	local name=$1 want=$2 text=$3 rc
	shift 3
	vm/run "$@" >"$tmp/x.out" 2>"$tmp/x.err"
	rc=$?
	cat "$tmp/x.out" "$tmp/x.err" >"$logs/harness-$name.log"
	t_check "vm/run: $name gives exit $want (got $rc)" [ $rc -eq "$want" ]
	t_check "vm/run: $name reported ('$text')" grep -q -- "$text" "$tmp/x.err"
}
expect_exit guest-watchdog 124 'guest watchdog' \
	--driver none --guest-timeout 3 --timeout 120 -- 'echo started; sleep 100'
expect_exit host-timeout 122 'host timeout' \
	--driver none --guest-timeout 0 --timeout 25 -- 'echo started; sleep 200'
expect_exit kernel-panic 121 'kernel error in the guest' \
	--driver none --timeout 120 -- 'echo c > /proc/sysrq-trigger; sleep 5; exit 0'
# The daemon killed during a run: vm/run says so and exits 123; the guest's
# next requests fail instead of hanging (the command still finishes).
pidf=$tmp/vu.pid
rm -f "$pidf"
VHOST_USER_CRYPTO_PIDFILE=$pidf vm/run --backend vhost-user --timeout 150 --guest-timeout 100 -- \
	'afalg_kat >/dev/null && echo kat-before=ok; echo ready; sleep 10;' \
	'afalg_kat >/dev/null; echo kat-after=$?' >"$tmp/k.out" 2>"$tmp/k.err" &
vm_pid=$!
for _ in $(seq 600); do
	grep -q '^ready' "$tmp/k.out" 2>/dev/null && break
	kill -0 $vm_pid 2>/dev/null || break
	sleep 0.2
done
if grep -q '^ready' "$tmp/k.out" && [ -s "$pidf" ]; then
	kill -KILL "$(head -n1 "$pidf")" 2>/dev/null
fi
wait $vm_pid
rc=$?
cat "$tmp/k.out" "$tmp/k.err" >"$logs/harness-backend-killed.log"
t_check "vm/run: requests work before the daemon is killed" grep -qx 'kat-before=ok' "$tmp/k.out"
t_check "vm/run: after the daemon is killed the guest's requests fail, not hang" \
	grep -qE '^kat-after=[1-9]' "$tmp/k.out"
t_check "vm/run: a daemon killed mid-run gives exit 123 (got $rc)" [ $rc -eq 123 ]
t_check "vm/run: dead daemon reported" grep -q 'died during the run' "$tmp/k.err"

# A WARNING that does not stop the kernel is found in dmesg after COMMAND
# (injected through /dev/kmsg: the same line format a WARN_ON() logs).
expect_exit kernel-warning 121 'injected/by/suite-50' --driver none --timeout 120 -- \
	'echo "<4>WARNING: CPU: 0 PID: 1 at injected/by/suite-50.c:1 test+0x0/0x0" >/dev/kmsg; exit 0'

t_summary
