#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/suite-70-e2e.sh - the three parts joined (issue: end to end).
#
#  1. make demo's script (tools/demo): a guest chat-client on our /dev/crypto
#     (virtio, vhost-user-crypto) and a host chat-client on OpenSSL read each
#     other's messages: both engines produce identical bytes.
#  2. Killing vhost-user-crypto in the middle of a chat: the guest client
#     reports a clear error and exits non-zero instead of hanging.
#  3. Two devices (builtin + vhost-user): chat-client --crypto-device
#     /dev/cryptodev1 works and its requests land on that device only.
# Owns only these scenarios; the programs are built by make.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
KERNEL=${E2E_KERNEL:-6.1}
D=$(mktemp -d /tmp/vcd-e2e.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT
make -j2 all guest >"$D/build.log" 2>&1 || { tail -n 20 "$D/build.log"; t_fail "build"; t_summary; exit 1; }

# --- 1. the demo --------------------------------------------------------
if NO_COLOR=1 DEMO_KERNEL=$KERNEL timeout 240 tools/demo >"$D/demo.out" 2>&1; then
	t_pass "demo: guest (device engine) and host (software engine) read each other"
else
	t_fail "demo (exit $?)"; sed 's/^/    /' "$D/demo.out" | tail -n 40
fi

start_server() {	# -> $port, server pid in pids
	port=$(t_free_port)
	build/chat-server --listen 127.0.0.1 --port "$port" 2>"$D/server.log" &
	pids+=($!)
	for _ in $(seq 50); do (exec 9<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
# A host reader: prints what it receives into $1.
start_reader() {
	mkfifo "$D/reader.in.$2"
	CHAT_PASSPHRASE=e2e-pass build/chat-client --nick reader --crypto software \
		127.0.0.1 "$port" <"$D/reader.in.$2" >"$1" 2>"$1.err" &
	pids+=($!)
	exec {reader_fd}>"$D/reader.in.$2"
}
wait_for() {	# FILE PATTERN SECONDS
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do grep -qF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.5; done
	return 1
}

# --- 2. the back-end dies mid-chat --------------------------------------
start_server || t_fail "chat-server did not start"
start_reader "$D/kill-reader.out" kill
# (the pipe starts before the client is ready: its scrypt takes several
# seconds under TCG, so the gap must be well above that)
cmd="{ echo before-kill; sleep 25; echo after-kill; sleep 40; } |
CHAT_PASSPHRASE=e2e-pass chat-client --nick victim --crypto device 10.0.2.2 $port; echo client-exit=\$?"
VHOST_USER_CRYPTO_PIDFILE=$D/vu.pid vm/run --kernel "$KERNEL" --backend vhost-user --driver ours --net \
	--timeout 150 -- "$cmd" >"$D/kill.out" 2>"$D/kill.err" &
vm=$!
pids+=($vm)
if wait_for "$D/kill-reader.out" "<victim> before-kill" 120; then
	vu=$(head -n1 "$D/vu.pid")
	kill -KILL "$vu" && echo "killed vhost-user-crypto (pid $vu) at $(date +%T)"
	wait "$vm"; rc=$?
	cexit=$(sed -n 's/^client-exit=\([0-9]*\).*/\1/p' "$D/kill.out" | tail -n1)
	# Two outcomes are seen, depending on when the next request comes
	# (both correct): it waits timeout_ms for the dead daemon and fails
	# (EIO: the client exits with a clear error and sends nothing more), or
	# it never reaches the data queue and runs in the guest kernel (no
	# reset; the message arrives intact).  Never: exit 0 with the message
	# lost, a wrong message, a hang.
	if [ -n "$cexit" ] && [ "$cexit" != 0 ] && grep -q '^chat-client: ' "$D/kill.out" "$D/kill.err" &&
	   ! grep -qF "after-kill" "$D/kill-reader.out"; then
		t_pass "backend killed: guest client exits $cexit with: $(grep -h '^chat-client: ' "$D/kill.out" "$D/kill.err" | grep -v 'crypto engine' | tail -n1)"
		t_pass "nothing sent after the device died"
	elif [ "$cexit" = 0 ] && grep -Eq '<victim> after-kill$' "$D/kill-reader.out"; then
		t_pass "backend killed: the driver carried on without the daemon (guest kernel crypto), exit 0"
		t_pass "the message after the kill arrived intact"
	else
		t_fail "backend killed: neither a clear error nor an intact message (vm/run exit $rc, client exit '${cexit}')"
		sed 's/^/    /' "$D/kill.out" "$D/kill.err" "$D/kill-reader.out" | tail -n 40
	fi
else
	t_fail "backend killed: the guest message never arrived before the kill"
	sed 's/^/    /' "$D/kill.out" "$D/kill.err" | tail -n 30
	kill "$vm" 2>/dev/null; wait "$vm" 2>/dev/null
fi
exec {reader_fd}>&-

# --- 3. two devices, chat on /dev/cryptodev1 ----------------------------
start_reader "$D/dev1-reader.out" dev1
# per device: its node and the requests its data queues served
stats='for f in /sys/bus/virtio/devices/*/cryptodev; do echo "$(cat $f/node) $(cat $f/queues/dataq.*/requests | awk "{s += \$1} END {print s+0}")"; done'
cmd="ls /dev/cryptodev*; echo '-- before'; $stats;
echo via-cryptodev1 | CHAT_PASSPHRASE=e2e-pass chat-client --nick dev1 --crypto device --crypto-device /dev/cryptodev1 10.0.2.2 $port; rc=\$?;
echo '-- after'; $stats; exit \$rc"
vm/run --kernel "$KERNEL" --devices builtin,vhost-user --driver ours --net --timeout 150 -- "$cmd" \
	>"$D/dev1.out" 2>"$D/dev1.err"
rc=$?
wait_for "$D/dev1-reader.out" "<dev1> via-cryptodev1" 10
if [ $rc = 0 ] && grep -qF "<dev1> via-cryptodev1" "$D/dev1-reader.out"; then
	t_pass "chat-client --crypto-device /dev/cryptodev1: host reads its message"
else
	t_fail "chat-client --crypto-device /dev/cryptodev1 (vm/run exit $rc)"
	sed 's/^/    /' "$D/dev1.out" "$D/dev1.err" | tail -n 30
fi
b0=$(sed -n '/^-- before/,/^-- after/p' "$D/dev1.out" | awk '$1 == "cryptodev0" {print $2}')
b1=$(sed -n '/^-- before/,/^-- after/p' "$D/dev1.out" | awk '$1 == "cryptodev1" {print $2}')
a0=$(sed -n '/^-- after/,$p' "$D/dev1.out" | awk '$1 == "cryptodev0" {print $2}')
a1=$(sed -n '/^-- after/,$p' "$D/dev1.out" | awk '$1 == "cryptodev1" {print $2}')
if [ -n "$b0" ] && [ -n "$a1" ] && [ "$a0" = "$b0" ] && [ "$a1" -gt "$b1" ]; then
	t_pass "its requests went to cryptodev1 only (cryptodev0 $b0 -> $a0, cryptodev1 $b1 -> $a1)"
else
	t_fail "per-device statistics: cryptodev0 '$b0' -> '$a0', cryptodev1 '$b1' -> '$a1'"
fi
exec {reader_fd}>&-
t_summary
