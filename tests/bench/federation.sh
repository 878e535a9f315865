#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bench/federation.sh - chat-server relays federated over NATS (issue
# 15 section 5; figures in docs/bench-federation.md).
#
# Owns: the federation benchmark.  A nats-server cluster (NATS_NODES nodes,
# default 3, routed to each other on loopback as suite-25 does; relay i
# connects to node i mod NATS_NODES only, so relay-to-relay traffic crosses
# a route; no JetStream) and three relays (--nats, --relay-id 1..3); then
#  a. fan-out: FAN_CLIENTS clients (default 3,000) dealt over the 3 relays,
#     10 senders (on every relay), 64-byte opaque frames at max rate,
#     against ONE relay without --nats carrying the same clients;
#     alternating, ROUNDS rounds; total deliveries/s of the best round of
#     each and the ratio federated/single [target >= 0.8];
#  b. cross-relay latency: LAT_CLIENTS clients (a list, default "300 3000",
#     each measured and judged) over the 3 relays, 10 senders at 10 msg/s
#     each, ROUNDS runs: chat-bench keeps apart the receivers on another
#     relay than the sender (cross_server) from those on the sender's own
#     relay; the cross-relay p99 of the worst run is judged [target < 50 ms];
#  c. BIG_CLIENTS clients (default 30,000) over 3 fresh relays, 10 senders
#     at 1 msg/s, 5 s: p99, errors, VmRSS of each relay idle and with all
#     clients.  One process may hold only `ulimit -Hn` descriptors (raising
#     the hard limit needs CAP_SYS_RESOURCE): when that is too few, the
#     clients are split over several chat-bench processes, the first with
#     the senders, the others receive only (--senders 0, same servers).
#  b'. part b for LAT_COALESCE_CLIENTS (default 3,000) again, the relays
#     started with --coalesce-ms LAT_COALESCE (default 10; empty: skipped).
# Knobs: SECONDS_PER_RUN (3), ROUNDS (2), NATS_NODES (3), FAN_CLIENTS,
# LAT_CLIENTS, LAT_COALESCE, LAT_COALESCE_CLIENTS, BIG_CLIENTS, BIG_SECONDS
# (5), BENCH_FD_LIMIT (descriptors one chat-bench process may use: default
# the hard limit).
# Never fails on speed: a missed target prints "target missed".
# Everything binds 127.0.0.1 on free ports and is stopped by the trap.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
ROUNDS=${ROUNDS:-2}
NATS_NODES=${NATS_NODES:-3}
FAN_CLIENTS=${FAN_CLIENTS:-3000}
LAT_COALESCE=${LAT_COALESCE-10}
LAT_COALESCE_CLIENTS=${LAT_COALESCE_CLIENTS:-3000}
LAT_CLIENTS=${LAT_CLIENTS:-300 3000}	# one latency part for each
BIG_CLIENTS=${BIG_CLIENTS:-30000}
BIG_SECONDS=${BIG_SECONDS:-5}
OUT=build/bench/federation
mkdir -p "$OUT"
# Every server and background chat-bench is a job of this shell: on exit,
# whatever is still running of them is stopped (TERM, then KILL).
stop_jobs() {
	local left
	left=$(jobs -pr)
	[ -n "$left" ] && kill -TERM $left 2>/dev/null && sleep 0.2
	left=$(jobs -pr)
	[ -n "$left" ] && kill -KILL $left 2>/dev/null
	return 0
}
trap stop_jobs EXIT

for bin in build/chat-server build/chat-bench; do
	[ -x $bin ] || { echo "$bin missing: run make"; exit 1; }
done
command -v nats-server >/dev/null || { echo "nats-server missing (Debian package nats-server)"; exit 1; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
field() {	# field NAME LINE: the value of NAME=, matched whole
	sed -n "s/\(.* \)\{0,1\}$1=\([0-9.]*\).*/\2/p" <<<"$2" | tail -n1
}
# best_rate FILE: the highest deliveries_per_s of the result lines in FILE
best_rate() { sed -n 's/^deliveries_per_s=\([0-9]*\).*/\1/p' "$1" | sort -n | tail -n1; }
maxof() { awk -v a="$1" -v b="${2:-1e9}" 'BEGIN { print (b > a) ? b : a }'; }
# The chat-bench line starting with WORD (same_server, cross_server, servers).
line_of() { grep -E "^$1[ =]" "$2" | tail -n1; }

echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"

# ---- NATS cluster and relays -----------------------------------------------
NATS_PORTS=() NATS_CPORTS=()
for i in $(seq 0 $((NATS_NODES - 1))); do
	NATS_PORTS+=("$(t_free_port)")
	NATS_CPORTS+=("$(t_free_port)")
done
start_nats() {
	local i j routes
	for i in $(seq 0 $((NATS_NODES - 1))); do
		routes=
		for j in $(seq 0 $((NATS_NODES - 1))); do
			[ "$j" = "$i" ] || routes="${routes:+$routes,}nats://127.0.0.1:${NATS_CPORTS[$j]}"
		done
		if [ "$NATS_NODES" -gt 1 ]; then
			nats-server -a 127.0.0.1 -p "${NATS_PORTS[$i]}" \
				--cluster "nats://127.0.0.1:${NATS_CPORTS[$i]}" --routes "$routes" \
				--cluster_name vcdchat-bench --no_advertise=true -n "node$i" \
				>"$OUT/nats$i.log" 2>&1 &
		else
			nats-server -a 127.0.0.1 -p "${NATS_PORTS[$i]}" >"$OUT/nats$i.log" 2>&1 &
		fi
	done
	for i in $(seq 0 $((NATS_NODES - 1))); do
		t_wait_port "${NATS_PORTS[$i]}" || { echo "nats-server $i did not start"; exit 1; }
	done
	if [ "$NATS_NODES" -gt 1 ]; then	# every node routed to every other
		for i in $(seq 1 100); do
			local ok=1
			for j in $(seq 0 $((NATS_NODES - 1))); do
				[ "$(grep -c 'Route connection created' "$OUT/nats$j.log")" -ge $((NATS_NODES - 1)) ] || ok=0
			done
			[ $ok = 1 ] && break
			sleep 0.1
		done
	fi
}

# chat-bench is one address sending as fast as it can: the per-address and
# rate limits against hostile clients are off for it (as in chat.sh).
BENCH_LIMITS="--max-per-address 0 --msg-rate 0 --byte-rate 0"
RELAY_PORTS=() RELAY_PIDS=()
# start_relays LABEL MAX_CLIENTS [ARGS...]: three relays on the NATS cluster,
# with ARGS added to their command lines.
start_relays() {
	local i port node label=$1 max=$2
	shift 2
	RELAY_PORTS=() RELAY_PIDS=()
	for i in 1 2 3; do
		port=$(t_free_port)
		node=$(((i - 1) % NATS_NODES))
		build/chat-server --listen 127.0.0.1 --port "$port" --max-clients "$max" $BENCH_LIMITS \
			--nats "nats://127.0.0.1:${NATS_PORTS[$node]}" --relay-id "$i" "$@" \
			>"$OUT/relay$i-$label.log" 2>&1 &
		RELAY_PIDS+=($!)
		RELAY_PORTS+=("$port")
	done
	for i in 0 1 2; do
		t_wait_port "${RELAY_PORTS[$i]}" || { echo "relay $((i + 1)) did not start"; exit 1; }
	done
	# every relay has heard the two others (heartbeats every second)
	for i in $(seq 1 100); do
		[ "$(cat "$OUT"/relay?-"$label".log | grep -c 'is in the federation')" -ge 6 ] && break
		sleep 0.1
	done
	sleep 0.3	# let the probe connections' LEFT settle
}
stop_relays() {
	local p
	for p in "${RELAY_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${RELAY_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	RELAY_PIDS=()
}
servers() { local p; for p in "${RELAY_PORTS[@]}"; do printf -- '--server 127.0.0.1:%s ' "$p"; done; }

start_nats
if [ "$NATS_NODES" -gt 1 ]; then
	echo "NATS: $NATS_NODES-node nats-server cluster on loopback (routes), relay i on node i: cross-relay messages cross a route"
else
	echo "NATS: one nats-server node, all three relays on it"
fi

# ---- a. fan-out: 3 federated relays against one relay ---------------------------
most=$FAN_CLIENTS
for n in $LAT_CLIENTS; do [ "$n" -gt "$most" ] && most=$n; done
start_relays fan $((most + 100))
SPORT=$(t_free_port)
build/chat-server --listen 127.0.0.1 --port "$SPORT" --max-clients $((FAN_CLIENTS + 100)) $BENCH_LIMITS \
	>"$OUT/single.log" 2>&1 &
t_wait_port "$SPORT" || { echo "single chat-server did not start"; exit 1; }
common="--clients $FAN_CLIENTS --senders 10 --rate 0 --size 64 --seconds $SECONDS_PER_RUN"
: >"$OUT/fed.txt"; : >"$OUT/single.txt"
echo "a. fan-out: $FAN_CLIENTS clients, 10 senders, max rate (window 64 per sender), 64-byte opaque frames, ${SECONDS_PER_RUN} s per run, $ROUNDS rounds"
for r in $(seq 1 "$ROUNDS"); do
	timeout 120 build/chat-bench $(servers) $common >"$OUT/fed.$r.out" 2>"$OUT/fed.$r.err"
	l=$(tail -n1 "$OUT/fed.$r.out")
	echo "round $r 3 relays over NATS:  $l"; echo "$l" >>"$OUT/fed.txt"
	echo "        $(line_of servers "$OUT/fed.$r.out")"
	l=$(timeout 120 build/chat-bench --port "$SPORT" $common 2>"$OUT/single.$r.err" | tail -n1)
	echo "round $r one relay, no NATS: $l"; echo "$l" >>"$OUT/single.txt"
done
f=$(best_rate "$OUT/fed.txt") s=$(best_rate "$OUT/single.txt")
echo "deliveries/s (best round): federated ${f:-0}, single ${s:-0}"
awk -v f="${f:-0}" -v s="${s:-0}" 'BEGIN {
	if (s > 0) printf "ratio federated/single: %.2fx (%s) [target >= 0.8x]\n", f / s,
		(f / s >= 0.8) ? "target met" : "target missed"
	else print "ratio federated/single: n/a (target missed) [target >= 0.8x]" }'

# ---- b. cross-relay latency at 10 msg/s per sender ------------------------------
echo "b. latency: 10 senders at 10 msg/s over 3 relays, 64-byte frames, ${SECONDS_PER_RUN} s, $ROUNDS runs for each of $LAT_CLIENTS clients"
echo "   (cross_server: receivers on another relay than the sender, relayed over NATS; same_server: on its relay)"
# latency LABEL CLIENTS...: part b against the running relays.
latency() {
	local label=$1 n r f l p cp99 cp99s
	shift
	for n in "$@"; do
		cp99=0 cp99s=
		for r in $(seq 1 "$ROUNDS"); do
			f="$OUT/lat-${label:+c}$n.$r.out"
			timeout 120 build/chat-bench $(servers) --clients "$n" --senders 10 --rate 10 \
				--size 64 --seconds "$SECONDS_PER_RUN" >"$f" 2>"${f%.out}.err"
			echo "round $r $n clients, all:  $(tail -n1 "$f")"
			echo "        $(line_of same_server "$f")"
			l=$(line_of cross_server "$f")
			echo "        $l"
			p=$(field p99_ms "$l")
			cp99s="$cp99s ${p:-n/a}"
			cp99=$(maxof "$cp99" "$p")
		done
		echo "$label$n clients: cross-relay p99 of each run (ms):$cp99s"
		awk -v p="$cp99" -v n="$n" -v w="$label" 'BEGIN { printf "%s%s clients: cross-relay p99 %s ms (worst run): %s [target < 50 ms]\n",
			w, n, p, (p < 50) ? "target met" : "target missed" }'
	done
}
latency "" $LAT_CLIENTS
stop_relays
# b', with relays that coalesce their writes (chat-server --coalesce-ms)
if [ -n "$LAT_COALESCE" ]; then
	echo "b'. the same with chat-server --coalesce-ms $LAT_COALESCE, $LAT_COALESCE_CLIENTS clients"
	start_relays coalesce $((LAT_COALESCE_CLIENTS / 3 + 1000)) --coalesce-ms "$LAT_COALESCE"
	latency "--coalesce-ms $LAT_COALESCE: " $LAT_COALESCE_CLIENTS
	stop_relays
fi

# ---- c. BIG_CLIENTS clients over 3 relays ------------------------------------
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] && hard=1048576
# chat-bench raises its own limit, beyond the hard one when privileged
(ulimit -Hn $((BIG_CLIENTS + 200))) 2>/dev/null && hard=$((BIG_CLIENTS + 200))
hard=${BENCH_FD_LIMIT:-$hard}	# BENCH_FD_LIMIT: pretend a lower one
per_proc=$((hard - 100))
procs=$(((BIG_CLIENTS + per_proc - 1) / per_proc))
start_relays big $((BIG_CLIENTS / 3 + 1000))
rss0=()
for p in "${RELAY_PIDS[@]}"; do rss0+=("$(rss_kb "$p")"); done
echo "c. $BIG_CLIENTS clients over 3 relays, 10 senders at 1 msg/s, 64-byte frames, ${BIG_SECONDS} s"
if [ "$procs" -gt 1 ]; then
	echo "   at most $hard open files per process (hard limit; raising it needs CAP_SYS_RESOURCE): $procs chat-bench processes, the first with the 10 senders, the others --senders 0"
fi
n_main=$((BIG_CLIENTS / procs))
# receive-only processes first: they must be in the room before anything is sent
RECV_PIDS=()
for k in $(seq 2 "$procs"); do
	n=$(((BIG_CLIENTS - n_main) / (procs - 1)))
	[ "$k" = "$procs" ] && n=$((BIG_CLIENTS - n_main - (procs - 2) * n))
	build/chat-bench $(servers) --clients "$n" --senders 0 --rate 1 --size 64 --seconds 600 \
		>"$OUT/big.recv$k.out" 2>"$OUT/big.recv$k.err" &
	RECV_PIDS+=($!)
	for i in $(seq 1 2400); do
		grep -q '^connected' "$OUT/big.recv$k.err" && break
		kill -0 $! 2>/dev/null || break
		sleep 0.05
	done
done
timeout 600 build/chat-bench $(servers) --clients "$n_main" --senders 10 --rate 1 \
	--size 64 --seconds "$BIG_SECONDS" --hold 2 >"$OUT/big.out" 2>"$OUT/big.err" &
BPID=$!
rss1=()
for i in $(seq 1 4800); do
	if grep -q '^connected' "$OUT/big.err"; then
		for p in "${RELAY_PIDS[@]}"; do rss1+=("$(rss_kb "$p")"); done
		break
	fi
	kill -0 $BPID 2>/dev/null || break
	sleep 0.05
done
wait $BPID
sleep 0.5	# what the main process's drain saw has reached the others too
for p in "${RECV_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
for p in "${RECV_PIDS[@]}"; do wait "$p" 2>/dev/null; done
grep -v '^connected' "$OUT"/big*.err | head -n 5
l=$(tail -n1 "$OUT/big.out")
echo "senders' process ($n_main clients): $l"
echo "        $(line_of servers "$OUT/big.out")"
p99=$(field p99_ms "$l") cp99=$(field p99_ms "$(line_of cross_server "$OUT/big.out")")
errs=$(field errors "$l")
p99=${p99:-1e9} cp99=${cp99:-1e9} errs=${errs:-1}
sent=$(field sent "$(line_of servers "$OUT/big.out")")
for k in $(seq 2 "$procs"); do
	f="$OUT/big.recv$k.out"
	l=$(tail -n1 "$f")
	echo "receive-only process $k: $l"
	echo "        $(line_of servers "$f")"
	p99=$(maxof "$p99" "$(field p99_ms "$l")")
	cp99=$(maxof "$cp99" "$(field p99_ms "$(line_of cross_server "$f")")")
	errs=$((errs + $(field errors "$l" | grep . || echo 1)))
	got=$(( $(field deliveries "$(line_of same_server "$f")" | grep . || echo 0) +
		$(field deliveries "$(line_of cross_server "$f")" | grep . || echo 0) ))
	n=$(sed -n 's/.* clients=\([0-9,]*\).*/\1/p' <<<"$(line_of servers "$f")" |
		awk -F, '{ for (i = 1; i <= NF; i++) t += $i; print t + 0 }')
	want=$(( ${sent:-0} * ${n:-0} ))
	if [ "$got" != "$want" ]; then
		echo "        receive-only process $k got $got deliveries, expected $want (${sent:-?} sent x ${n:-?} clients)"
		errs=$((errs + 1))
	fi
done
echo "p99 ${p99} ms over all receivers (worst process), cross-relay p99 ${cp99} ms"
echo "errors ${errs}: $([ "$errs" = 0 ] && echo "target met" || echo "target missed") [target 0]"
for i in 0 1 2; do
	if [ -n "${rss1[$i]:-}" ]; then
		per=$(awk -v a="${rss0[$i]}" -v b="${rss1[$i]}" -v n="$((BIG_CLIENTS / 3))" \
			'BEGIN { printf "%.2f", (b - a) / n }')
		echo "relay $((i + 1)) VmRSS ${rss0[$i]} kB idle, ${rss1[$i]} kB with its $((BIG_CLIENTS / 3)) clients: ${per} KiB per client"
	else
		echo "relay $((i + 1)) VmRSS: the clients never all connected"
	fi
done
stop_relays
echo "host load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
