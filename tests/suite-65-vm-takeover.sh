#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/suite-65-vm-takeover.sh - vhost-user-crypto replaced under a real
# guest's load (issue 13, section 3): five takeovers in a row without the
# guest noticing, and restarts and crashes under a service manager.
#
# Owns two boots of `vm/run --backend vhost-user --driver ours` (kernel 6.1)
# running tests/vm/cryptodev_latency (4 threads of AES-128-CBC, HMAC-SHA256
# and SHA-256 requests through /dev/crypto on the host, each checked against
# OpenSSL and timed, fresh sessions created and freed all along):
#   1. once the load runs, the host starts `vhost-user-crypto --socket SOCK
#      --takeover` five times, 1.5 s apart, each taking over from the
#      one before (vm/run's daemon first: VHOST_USER_CRYPTO_HANDOVER tells
#      vm/run that its exit 0 is a handover).  Every takeover completes (the
#      old daemon exits 0, the new one serves); the guest sees no failed,
#      wrong or late (> 1 s) request and no device reset, its requests kept
#      reaching the device; prints the pauses the successors measured.
#   2. the daemon runs under tests/integration/service_manager.py (systemd's
#      side of sd_notify and the fd store, as VHOST_USER_CRYPTO), which
#      restarts it (SIGTERM, start) and crashes it (SIGKILL, start) twice
#      each, 1.5 s apart.  Every start resumes the connection; only
#      requests in flight at a crash may fail (no more than the daemons
#      answered ERR), every thread succeeds again after them, no request is
#      wrong or late, no device reset.
# Each run must end clean (vm/run exit 0).  Logs: build/test-logs/vm-takeover/.
# Does not own: vm/run, the daemon, the guest program, the manager.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
unset NOTIFY_SOCKET LISTEN_FDS LISTEN_PID LISTEN_FDNAMES
ROOT=$(pwd)
logs=build/test-logs/vm-takeover
mkdir -p "$logs"
rm -f "$logs"/*.log
GAP=1.5
succ=()
work=$(mktemp -d)
cleanup() {
	local p
	for p in "${succ[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$work"
	return 0
}
trap cleanup EXIT

if make -j2 build/guest/cryptodev_latency >"$logs/guest-build.log" 2>&1; then
	t_pass "guest program builds"
else
	t_fail "guest program builds (see $logs/guest-build.log)"
fi
if [ ! -x build/vhost-user-crypto ]; then
	t_fail "build/vhost-user-crypto does not exist"
	t_summary
	exit 1
fi

# boot LOG GUEST_ARGS: vm/run in the background (vm=its pid) with the
# daemons' pids in $work/pids; waits (bounded) for the guest's load.
boot() {
	local log=$1
	shift
	VHOST_USER_CRYPTO_PIDFILE=$work/pids VHOST_USER_CRYPTO_ARGS=-v \
		vm/run --kernel 6.1 --backend vhost-user --driver ours --cpus 2 --timeout 240 \
		-- "cryptodev_latency -t 4 $*" >"$log" 2>&1 &
	vm=$!
	for _ in $(seq 1200); do
		grep -q '^LATENCY-READY' "$log" && break
		kill -0 $vm 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^LATENCY-READY' "$log"
}

# finish TAG LOG: wait for vm/run; the guest's figures and PASS/FAIL lines.
finish() {
	local tag=$1 log=$2 rc line
	wait $vm
	rc=$?
	echo "# $tag: vm/run exit $rc"
	grep -E '^(latency:|slow:|failed:|thread [0-9]+: first problem)' "$log" | sed "s/^/# $tag guest: /"
	while IFS= read -r line; do
		case $line in
		"PASS "*) t_pass "$tag guest: ${line#PASS }" ;;
		"FAIL "*) t_fail "$tag guest: ${line#FAIL }" ;;
		esac
	done <"$log"
	if [ $rc -eq 0 ]; then
		t_pass "$tag: vm/run exit 0: guest program passed, no kernel error, no daemon died"
	else
		t_fail "$tag: vm/run exit $rc (log $log)"
		grep -E 'vm/run:' "$log" | head -n 10 | sed 's/^/    /'
	fi
}

# ---------------------------------------------------------------- 1. takeovers
TAKEOVERS=5
log=$logs/guest-takeover.log
done_n=0
pauses=''
export VHOST_USER_CRYPTO_HANDOVER=1
if boot "$log" -s 12; then	# READY, then 5 takeovers 1.5 s apart, 4 s more
	old=$(head -n1 "$work/pids")
	sock=$(tr '\0' '\n' <"/proc/$old/cmdline" 2>/dev/null | sed -n '/^--socket$/{n;p;q}')
	t_pass "takeover: guest load runs on the vhost-user device"
	for i in $(seq $TAKEOVERS); do
		sleep $GAP
		slog=$logs/successor-$i.log
		build/vhost-user-crypto --socket "$sock" --takeover -v >"$slog" 2>&1 &
		new=$!
		succ+=("$new")
		for _ in $(seq 300); do
			grep -q 'after a pause of' "$slog" && break
			kill -0 $new 2>/dev/null || break
			sleep 0.1
		done
		# the first daemon's log, before vm/run removes it with its directory
		[ "$i" = 1 ] && cp "${sock%/*}/vu0.log" "$logs/daemon-0.log" 2>/dev/null
		p=$(sed -n 's/.*after a pause of \([0-9.]*\) ms.*/\1/p' "$slog")
		if [ -z "$p" ] || ! kill -0 $new 2>/dev/null; then
			t_fail "takeover $i: the successor does not serve (log $slog)"
			tail -n 5 "$slog"
			break
		fi
		if [ "$i" -gt 1 ]; then # our own child: its exit status
			wait "$old"
			st=$?
			[ $st -eq 0 ] || { t_fail "takeover $i: the old daemon exited $st"; break; }
		fi
		pauses="$pauses ${p}"
		done_n=$i
		old=$new
	done
else
	t_fail "takeover: guest load did not start (log $log)"
fi
finish takeover "$log"
unset VHOST_USER_CRYPTO_HANDOVER
t_check "$TAKEOVERS takeovers in a row completed ($done_n)" test "$done_n" -eq $TAKEOVERS
echo "# takeover pauses measured by the successors (ms):$pauses"
echo "# requests in flight when each daemon paused:" \
	$(sed -n 's/.*finishing \([0-9]*\) requests in flight.*/\1/p' "$logs"/daemon-0.log "$logs"/successor-*.log)
echo "# requests waiting in the ring when each successor started:" \
	$(sed -n 's/.*, \([0-9]*\) requests waiting,.*/\1/p' "$logs"/successor-*.log)
if [ "$done_n" -gt 0 ]; then
	kill -TERM "$old" 2>/dev/null
	wait "$old"
	t_check "the last successor exits 0 on SIGTERM" test $? -eq 0
fi
t_check "takeover: no daemon log has a warning or error" \
	sh -c "! grep -h 'warning:\|error:' '$logs'/daemon-0.log '$logs'/successor-*.log"

# ---------------------------------------------------------------- 2. fd store
# the daemon under the emulated service manager, through VHOST_USER_CRYPTO
mlog=$logs/managed.log
mkdir -p "$work/manager"
cat >"$work/vhost-user-crypto-managed" <<EOF
#!/bin/sh
exec python3 "$ROOT/tests/integration/service_manager.py" --dir "$work/manager" -- \\
	"$ROOT/build/vhost-user-crypto" "\$@" >>"$ROOT/$mlog" 2>&1
EOF
chmod +x "$work/vhost-user-crypto-managed"
EVENTS="USR1 USR2 USR1 USR2"	# restart, crash, restart, crash
log=$logs/guest-fdstore.log
if VHOST_USER_CRYPTO=$work/vhost-user-crypto-managed boot "$log" -s 10 -e 100; then
	t_pass "fd store: guest load runs on the managed daemon"
	mgr=$(head -n1 "$work/pids")
	for e in $EVENTS; do
		sleep $GAP
		kill -"$e" "$mgr"
	done
else
	t_fail "fd store: guest load did not start (log $log)"
fi
finish "fd store" "$log"
restarts=$(grep -c 'service_manager: restart: daemon exit 0, the next READY came' "$mlog")
crashes=$(grep -c 'service_manager: crash: daemon exit -9, the next READY came' "$mlog")
t_check "fd store: 2 restarts ($restarts) and 2 crashes ($crashes), each followed by READY" \
	test "$restarts" -eq 2 -a "$crashes" -eq 2
t_check "fd store: every start resumed the connection" \
	test "$(grep -c 'fd store: resumed .* (front-end connected' "$mlog")" -eq 4
answered=$(sed -n 's/.* \([0-9]*\) requests in flight at the end of the last run answered ERR.*/\1/p' "$mlog" |
	awk '{ s += $1 } END { print s + 0 }')
# the resumes alternate: after a restart (odd ones), after a crash (even)
graceful=$(sed -n 's/.* \([0-9]*\) requests in flight at the end of the last run answered ERR.*/\1/p' "$mlog" |
	awk 'NR % 2 == 1 { s += $1 } END { print s + 0 }')
failed=$(sed -n 's/^latency: .* failed=\([0-9]*\) .*/\1/p' "$log")
echo "# fd store: requests answered ERR after the crashes: $answered; guest requests failed: ${failed:-?}"
grep -E 'service_manager: (restart|crash)' "$mlog" | sed 's/^/# fd store: /'
t_check "fd store: no request failed after a restart (the ones after a restart answered ERR: $graceful)" \
	test "$graceful" -eq 0
t_check "fd store: the guest's failed requests (${failed:-?}) are no more than the ERR answers ($answered)" \
	test -n "$failed" -a "${failed:-1}" -le "$answered"
t_check "fd store: the manager stopped the daemon cleanly at the end" \
	grep -q 'service_manager: stopped, daemon exit 0' "$mlog"
t_summary
