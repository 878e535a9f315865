#!/usr/bin/env bash
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
# and a kernel panic or WARNING failing the run.  Logs: build/test-logs/vm-stock/.
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
# One boot: exit status, --add, --net to a host 127.0.0.1 server, two devices.
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
vm/run --net --devices builtin,builtin --add "$tmp/vmrun-added" --timeout 120 -- \
	'vmrun-added a1;' \
	'wget -q -O - http://10.0.2.2:'"$port"'/token.txt;' \
	'echo devices=$(ls -d /sys/bus/virtio/drivers/virtio_crypto/virtio* | wc -l);' \
	'exit 3' >"$tmp/a.out" 2>"$tmp/a.err"
rc=$?
cat "$tmp/a.out" "$tmp/a.err" >"$logs/harness-a.log"
t_check "vm/run: COMMAND's exit status 3 comes back (got $rc)" [ $rc -eq 3 ]
t_check "vm/run: --add file runs from the guest PATH" grep -qx 'added-program-ran with a1' "$tmp/a.out"
t_check "vm/run: --net reaches a host 127.0.0.1 server at 10.0.2.2" grep -qx "$token" "$tmp/a.out"
t_check "vm/run: --devices builtin,builtin gives 2 virtio-crypto devices" grep -qx 'devices=2' "$tmp/a.out"
t_check "vm/run: stdout has only the command's output" \
	[ "$(grep -c -v -e '^added-program-ran' -e "^$token\$" -e '^devices=' "$tmp/a.out")" -eq 0 ]
kill "$srv_pid" 2>/dev/null
srv_pid=

vm/run --driver none --guest-timeout 3 --timeout 120 -- 'echo started; sleep 100' \
	>"$tmp/b.out" 2>"$tmp/b.err"
rc=$?
cat "$tmp/b.out" "$tmp/b.err" >"$logs/harness-watchdog.log"
t_check "vm/run: guest watchdog kills COMMAND, exit 124 (got $rc)" [ $rc -eq 124 ]
t_check "vm/run: guest watchdog reported" grep -q 'guest watchdog' "$tmp/b.err"

vm/run --driver none --guest-timeout 0 --timeout 25 -- 'echo started; sleep 200' \
	>"$tmp/c.out" 2>"$tmp/c.err"
rc=$?
cat "$tmp/c.out" "$tmp/c.err" >"$logs/harness-host-timeout.log"
t_check "vm/run: host timeout kills QEMU, exit 122 (got $rc)" [ $rc -eq 122 ]
t_check "vm/run: host timeout reported" grep -q 'host timeout' "$tmp/c.err"

vm/run --driver none --timeout 120 -- 'echo c > /proc/sysrq-trigger; sleep 5; exit 0' \
	>"$tmp/d.out" 2>"$tmp/d.err"
rc=$?
cat "$tmp/d.out" "$tmp/d.err" >"$logs/harness-panic.log"
t_check "vm/run: a kernel panic fails the run, exit 121 (got $rc)" [ $rc -eq 121 ]
t_check "vm/run: kernel panic reported" grep -q 'kernel error in the guest' "$tmp/d.err"

# A WARNING that does not stop the kernel is found in dmesg after COMMAND
# (injected through /dev/kmsg: the same line format a WARN_ON() logs).
vm/run --driver none --timeout 120 -- \
	'echo "<4>WARNING: CPU: 0 PID: 1 at injected/by/suite-50.c:1 test+0x0/0x0" >/dev/kmsg; exit 0' \
	>"$tmp/e.out" 2>"$tmp/e.err"
rc=$?
cat "$tmp/e.out" "$tmp/e.err" >"$logs/harness-warning.log"
t_check "vm/run: a kernel WARNING fails the run, exit 121 (got $rc)" [ $rc -eq 121 ]
t_check "vm/run: kernel WARNING reported" grep -q 'injected/by/suite-50' "$tmp/e.err"

t_summary
