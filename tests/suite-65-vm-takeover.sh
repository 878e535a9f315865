#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/suite-65-vm-takeover.sh - vhost-user-crypto replaced five times in a
# row under a real guest's load, without the guest noticing (issue 13, 3).
#
# Owns one boot: `vm/run --backend vhost-user --driver ours` (kernel 6.1)
# running tests/vm/cryptodev_latency (4 threads of AES-128-CBC, HMAC-SHA256
# and SHA-256 requests through /dev/crypto on the host, each checked against
# OpenSSL and timed, fresh sessions created and freed all along).  Once the
# guest load runs, the host starts `vhost-user-crypto --socket SOCK
# --takeover` five times, two seconds apart, each taking over from the one
# before (vm/run's daemon first: VHOST_USER_CRYPTO_HANDOVER tells vm/run that
# its exit 0 is a handover).  Checks: every takeover completes (the old
# daemon exits 0, the new one serves), the guest sees no failed, wrong or
# late (> 1 s) request and no device reset, its requests kept reaching the
# device, the run ends clean; prints the pauses the successors measured and
# the guest's slowest request.  Logs: build/test-logs/vm-takeover/.
# Does not own: vm/run, the daemon, the guest program.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
unset NOTIFY_SOCKET LISTEN_FDS LISTEN_PID LISTEN_FDNAMES
logs=build/test-logs/vm-takeover
mkdir -p "$logs"
rm -f "$logs"/*.log
TAKEOVERS=5
GAP=2
SECS=$((GAP * TAKEOVERS + 6))
succ=()
pidfile=$(mktemp)
cleanup() {
	local p
	for p in "${succ[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -f "$pidfile"
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

log=$logs/guest.log
start=$(date +%s)
VHOST_USER_CRYPTO_PIDFILE=$pidfile VHOST_USER_CRYPTO_HANDOVER=1 VHOST_USER_CRYPTO_ARGS=-v \
	vm/run --kernel 6.1 --backend vhost-user --driver ours --cpus 2 --timeout 240 \
	-- "cryptodev_latency -t 4 -s $SECS" >"$log" 2>&1 &
vm=$!
for _ in $(seq 1200); do
	grep -q '^LATENCY-READY' "$log" && break
	kill -0 $vm 2>/dev/null || break
	sleep 0.1
done

old=$(head -n1 "$pidfile" 2>/dev/null)
sock=''
[ -n "$old" ] && sock=$(tr '\0' '\n' <"/proc/$old/cmdline" 2>/dev/null | sed -n '/^--socket$/{n;p;q}')
done_n=0
pauses=''
if grep -q '^LATENCY-READY' "$log" && [ -S "$sock" ]; then
	t_pass "guest load runs on the vhost-user device"
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
	t_fail "guest load did not start, or no daemon socket (log $log)"
fi
wait $vm
rc=$?
echo "# vm/run exit $rc after $(($(date +%s) - start)) s"
t_check "$TAKEOVERS takeovers in a row completed ($done_n)" test "$done_n" -eq $TAKEOVERS
echo "# takeover pauses measured by the successors (ms):$pauses"
echo "# requests in flight when each daemon paused:" \
	$(sed -n 's/.*finishing \([0-9]*\) requests in flight.*/\1/p' "$logs"/daemon-0.log "$logs"/successor-*.log)
echo "# requests waiting in the ring when each successor started:" \
	$(sed -n 's/.*, \([0-9]*\) requests waiting,.*/\1/p' "$logs"/successor-*.log)
grep -E '^(latency:|slow:|thread [0-9]+: first problem)' "$log" | sed 's/^/# guest: /'
while IFS= read -r line; do
	case $line in
	"PASS "*) t_pass "guest: ${line#PASS }" ;;
	"FAIL "*) t_fail "guest: ${line#FAIL }" ;;
	esac
done <"$log"
if [ $rc -eq 0 ]; then
	t_pass "vm/run exit 0: guest program passed, no kernel error, no daemon died"
else
	t_fail "vm/run exit $rc (log $log)"
	grep -E 'vm/run:' "$log" | head -n 10 | sed 's/^/    /'
fi
if [ "$done_n" -gt 0 ]; then
	kill -TERM "$old" 2>/dev/null
	wait "$old"
	t_check "the last successor exits 0 on SIGTERM" test $? -eq 0
fi
t_check "no daemon log has a warning or error" \
	sh -c "! grep -h 'warning:\|error:' '$logs'/daemon-0.log '$logs'/successor-*.log"
t_summary
