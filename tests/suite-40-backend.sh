#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# suite-40-backend.sh - vhost-user-crypto without a VM: cmocka unit tests
# (plain and ASan+UBSan builds), a short libFuzzer run of each fuzz target
# on its committed seed corpus, and end-to-end checks of the daemon binary
# over its UNIX socket with a scripted front-end standing in for QEMU
# (negotiation, memfd guest memory, a session, one AES-CBC request kicked
# through an eventfd, the used ring and call eventfd, reconnect, SIGTERM).
#
# Owns: the non-VM checks of issue 3 section 3.  Expects `make all tests`
# and `make SAN=1 all tests` to have run (tests/run-all does); builds the
# fuzz targets itself (make fuzz).  Every daemon is stopped by the trap.
# FUZZ_SECS (default 20) sets the length of each fuzz run.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
# the daemons here must not talk to a service manager this shell may run under
unset NOTIFY_SOCKET LISTEN_FDS LISTEN_PID LISTEN_FDNAMES

LOGS=build/test-logs/backend
mkdir -p "$LOGS"
TMP=$(mktemp -d /tmp/vuc-suite.XXXXXX)
# the takeover checks' own directory (right under /tmp: another uid must be
# able to reach it, for the check that the socket's mode keeps it out)
TK=$(mktemp -d /tmp/vuc-takeover.XXXXXX) && chmod 711 "$TK"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$TMP" "$TK"
	return 0
}
trap cleanup EXIT

# ---- unit tests
for b in build build/san; do
	for t in "$b"/test_backend_*; do
		[ -x "$t" ] || continue
		t_cmocka "$t" timeout 300 "$t"
	done
done

# ---- fuzz targets, ~FUZZ_SECS each, on a scratch copy of the seeds
if make fuzz >"$LOGS/fuzz-build.log" 2>&1; then
	for f in fuzz_vhost_user fuzz_vring_request fuzz_handover; do
		mkdir -p "$TMP/$f"
		if timeout $(( ${FUZZ_SECS:-20} + 60 )) build/fuzz/$f \
			-max_total_time="${FUZZ_SECS:-20}" -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix="$LOGS/$f-" "$TMP/$f" "tests/fuzz/corpus/$f" \
			>"$LOGS/$f.log" 2>&1; then
			t_pass "$f: $(grep -Eo '^Done [0-9]+ runs' "$LOGS/$f.log" | tail -n1) without a finding"
		else
			t_fail "$f found a problem (log $LOGS/$f.log)"
			tail -n 30 "$LOGS/$f.log"
		fi
	done
else
	t_fail "make fuzz (log $LOGS/fuzz-build.log)"
	tail -n 20 "$LOGS/fuzz-build.log"
fi

# ---- command line
BIN=build/vhost-user-crypto
t_check "--help exits 0 and shows usage" sh -c "$BIN --help | grep -q 'usage: vhost-user-crypto --socket PATH'"
expect_usage_error() {
	"$BIN" "$@" >"$TMP/cli.out" 2>&1
	local rc=$?
	[ $rc -eq 2 ] && grep -q "vhost-user-crypto" "$TMP/cli.out"
}
t_check "no --socket: exit 2 with a message" expect_usage_error
t_check "bad --engine: exit 2" expect_usage_error --socket "$TMP/x" --engine rot13
t_check "bad --max-sessions: exit 2" expect_usage_error --socket "$TMP/x" --max-sessions 0
t_check "bad --workers: exit 2" expect_usage_error --socket "$TMP/x" --workers -1
devcrypto_refused() {
	"$BIN" --socket "$TMP/y" --engine devcrypto >"$TMP/dev.out" 2>&1
	[ $? -eq 1 ] && grep -q "engine devcrypto" "$TMP/dev.out"
}
if [ -e /dev/crypto ]; then
	t_pass "devcrypto engine: /dev/crypto present, refusal check not applicable"
else
	t_check "devcrypto engine without /dev/crypto: exit 1 with a reason" devcrypto_refused
fi

# ---- end to end over the socket, plain and sanitizer builds
FRONTEND=$TMP/frontend.py
cat >"$FRONTEND" <<'PY'
# One scripted front-end run (tests/integration/vhost_user_frontend.py):
# "features" negotiates; "hold" stays connected; "request" sets up memfd
# RAM and a ring, creates an AES-128-CBC session and runs one request
# (NIST SP 800-38A F.2.1 block 1): kick, call eventfd, used ring, result.
import sys, time
sys.path.insert(0, "tests/integration")
from vhost_user_frontend import Frontend, WANT_FEATURES

sock_path, mode = sys.argv[1], sys.argv[2]
fe = Frontend(sock_path)
if mode == "features":
    feat = fe.features()
    assert feat == WANT_FEATURES, hex(feat)
    print("ok features", hex(feat))
    sys.exit(0)
if mode == "hold":
    assert fe.features() == WANT_FEATURES
    time.sleep(30)
    sys.exit(0)
fe.setup(mem=1 << 20, num=16)
sid = fe.create_cbc_session(bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c"))
assert sid >= 0, sid
H = 0x3000
fe.m[H + 128:H + 144] = bytes.fromhex("6bc1bee22e409f96e93d7e117393172a")
fe.put_cbc_request(0, sid, 0x2000, H, bytes(range(16)), H + 128, H + 160, 16)
fe.publish(0)
fe.kick_ring()
assert fe.wait_call(10), "no interrupt (call eventfd) within 10 s"
assert fe.reap() == [0]
assert fe.m[H + 112] == 0, fe.m[H + 112]
ct = bytes(fe.m[H + 160:H + 176]).hex()
assert ct == "7649abac8119b246cee98e9b12e9197d", ct
assert fe.get_vring_base() == (0, 1)
print("ok request", ct)
PY

# start_daemon NAME BINARY: sets DPID and SOCK
start_daemon() {
	local name=$1 bin=$2 i
	SOCK=$TMP/$name.sock
	"$bin" --socket "$SOCK" --engine openssl -v >"$LOGS/$name.log" 2>&1 &
	DPID=$!
	PIDS+=("$DPID")
	for i in $(seq 1 100); do
		[ -S "$SOCK" ] && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "daemon $name did not start:"; cat "$LOGS/$name.log"
	return 1
}

# stop_daemon: SIGTERM, bounded wait; 0 if it exited 0
stop_daemon() {
	local i
	kill -TERM "$DPID" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$DPID" 2>/dev/null; then
		kill -KILL "$DPID"
		return 1
	fi
	wait "$DPID"
}

for variant in plain:build/vhost-user-crypto san:build/san/vhost-user-crypto; do
	name=${variant%%:*}
	bin=${variant#*:}
	if ! start_daemon "$name" "$bin"; then
		t_fail "$name: daemon starts and listens"
		continue
	fi
	t_pass "$name: daemon starts and listens"
	t_check "$name: front-end 1 negotiates features" timeout 30 python3 "$FRONTEND" "$SOCK" features
	t_check "$name: front-end 2 (after a disconnect) runs an AES-CBC request end to end" \
		timeout 30 python3 "$FRONTEND" "$SOCK" request
	t_check "$name: front-end 3 runs it again on a fresh connection" \
		timeout 30 python3 "$FRONTEND" "$SOCK" request
	t_check "$name: daemon still running after three connections" kill -0 "$DPID"
	t_check "$name: SIGTERM exits 0" stop_daemon
	t_check "$name: socket removed on exit" test ! -e "$SOCK"
	# SIGTERM while a front-end is connected
	if start_daemon "$name-busy" "$bin"; then
		timeout 40 python3 "$FRONTEND" "$SOCK" hold >/dev/null 2>&1 &
		HOLD=$!
		PIDS+=("$HOLD")
		for i in $(seq 1 100); do
			grep -q "front-end connected" "$LOGS/$name-busy.log" && break
			sleep 0.1
		done
		t_check "$name: SIGTERM with a front-end connected exits 0" stop_daemon
		kill "$HOLD" 2>/dev/null
		wait "$HOLD" 2>/dev/null
	else
		t_fail "$name: daemon starts again"
	fi
	t_check "$name: no sanitizer report in the logs" sh -c "! grep -q 'Sanitizer\|runtime error' '$LOGS/$name.log' '$LOGS/$name-busy.log'"
done

# ---- takeover (issue 13 section 3): a successor takes the live connection
# over (sessions, ring, memory), misbehaving successors leave the running
# daemon serving, three takeovers under a stream of 1 MiB requests lose,
# repeat and spoil none (tests/integration/takeover_check.py; the sanitizer
# build without the 3-second silent-successor case).
script_lines() { # TAG LOG: every PASS/FAIL line is a check, "# " lines shown
	local line
	while IFS= read -r line; do
		case $line in
		"PASS "*) t_pass "$1: ${line#PASS }" ;;
		"FAIL "*) t_fail "$1: ${line#FAIL }" ;;
		"# "*) echo "$line ($1)" ;;
		esac
	done <"$2"
}
no_daemon_takeover() {
	"$BIN" --socket "$TMP/nobody.sock" --takeover >"$TMP/tk.out" 2>&1
	[ $? -eq 1 ] && grep -q "no daemon answers at $TMP/nobody.sock.takeover" "$TMP/tk.out"
}
t_check "--takeover with no daemon on PATH: exit 1 with the reason" no_daemon_takeover
# integration NAME SCRIPT TAG DIR ARGS...: run tests/integration/SCRIPT in
# DIR; its PASS/FAIL lines are checks, and it must end "TAG: all checks
# passed"; DIR is kept in the logs.
integration() {
	local name=$1 script=$2 tag=$3 dir=$4 rc start
	shift 4
	mkdir -p "$dir"
	start=$(date +%s)
	timeout 240 python3 "tests/integration/$script" "$@" >"$LOGS/$tag-$name.log" 2>&1
	rc=$?
	rm -rf "$LOGS/$tag-$name" && cp -r "$dir" "$LOGS/$tag-$name"
	find "$LOGS/$tag-$name" -type s -delete
	script_lines "$name $tag" "$LOGS/$tag-$name.log"
	if [ $rc -eq 0 ] && grep -q "^$tag: all checks passed" "$LOGS/$tag-$name.log"; then
		t_pass "$name: $tag checks complete ($(( $(date +%s) - start )) s)"
	else
		t_fail "$name: $tag checks exit $rc (log $LOGS/$tag-$name.log)"
		tail -n 20 "$LOGS/$tag-$name.log"
	fi
}
for variant in plain:build/vhost-user-crypto: san:build/san/vhost-user-crypto:--quick; do
	name=${variant%%:*}
	rest=${variant#*:}
	bin=${rest%%:*}
	quick=${rest#*:}
	# shellcheck disable=SC2086
	integration "$name" takeover_check.py takeover "$TK/$name" "$bin" "$TK/$name" $quick
	second_daemon() {
		"$bin" --socket "$SOCK" >"$TMP/second.out" 2>&1
		[ $? -eq 1 ] && grep -q "is served by a running daemon" "$TMP/second.out"
	}
	if start_daemon "$name-second" "$bin"; then
		t_check "$name: a second daemon on a served PATH exits 1 (use --takeover)" second_daemon
		t_check "$name: ... and the first serves on" timeout 30 python3 "$FRONTEND" "$SOCK" request
		stop_daemon
	else
		t_fail "$name: daemon starts"
	fi
done

# ---- under a service manager (issue 13 section 3): the state in the fd
# store; SIGTERM and start again, SIGKILL under a request stream and start
# again, the connection kept (tests/integration/fdstore_check.py plays
# systemd's side of sd_notify / sd_listen_fds: no systemd as PID 1 here).
for variant in plain:build/vhost-user-crypto san:build/san/vhost-user-crypto; do
	name=${variant%%:*}
	bin=${variant#*:}
	integration "$name" fdstore_check.py fdstore "$TMP/fdstore-$name" "$bin" "$TMP/fdstore-$name"
done

# ---- the systemd unit's sandbox (issue 13: exposure <= 2.0)
unit=backend/systemd/vhost-user-crypto@.service
score=$(systemd-analyze security --offline=true "$unit" 2>/dev/null |
	sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
t_check "$unit: systemd-analyze security exposure ${score:-?} <= 2.0" \
	awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }'
t_check "$unit: Type=notify with a file descriptor store" \
	sh -c "grep -qx 'Type=notify' '$unit' && grep -qx 'FileDescriptorStoreMax=64' '$unit'"

t_summary
