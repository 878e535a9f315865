#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bench/chat.sh - chat-server against `ncat --broker`, Redis pub/sub and
# NATS, at 10,000 clients, and in a reconnect storm of 10,000 clients.
#
# Owns: the chat benchmark (figures in docs/bench-chat.md).
#  1. ncat --broker, redis-server, nats-server and chat-server run side by
#     side; chat-bench drives each in turn (alternating, ROUNDS rounds) at
#     100 clients, 10 senders, max rate, 64-byte messages: ncat with --raw
#     text lines, Redis and NATS with the same text published on one
#     channel/subject every client subscribes to, chat-server with opaque
#     frames, and with end-to-end sealed messages (--passphrase:
#     senders encrypt+MAC; either only the probe client verifies+decrypts,
#     as if every receiver had its own CPU, or all 100 receivers do, all in
#     the one bench process on the same 2 cores).  Prints every result line
#     and the ratios of the best runs to the best of the three peers.
#  2. chat-server alone with 10,000 clients, 10 senders at 1 msg/s,
#     BIG_ROUNDS runs (default 3): p99 of each and the worst (judged against
#     the target), errors, and server memory per idle client (VmRSS of the
#     server before and after the clients connected, first run).
#  3. reconnect storm: chat-server alone, STORM_CLIENTS (default 10,000)
#     clients connecting within STORM_RAMP seconds (default 10; chat-bench
#     --ramp: the 10 senders and 10 receivers first, the others spread
#     evenly) while 10 senders send 1 msg/s each, and STORM_SECONDS (2) on
#     after the ramp; STORM_ROUNDS runs (default 2), a fresh server each:
#     p99 of each and the worst (target < 250 ms), when the last client
#     joined, errors, and the server's VmRSS idle, at most during the storm
#     (sampled every 0.5 s) and after the clients left.
# PARTS (default "1 2 3") selects the parts to run.
# Never fails on speed: a missed target prints "target missed".
# Servers bind 127.0.0.1 on free ports and are stopped by the trap.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
ROUNDS=${ROUNDS:-2}
BIG_CLIENTS=${BIG_CLIENTS:-10000}
STORM_CLIENTS=${STORM_CLIENTS:-10000}
STORM_RAMP=${STORM_RAMP:-10}
STORM_SECONDS=${STORM_SECONDS:-2}
STORM_ROUNDS=${STORM_ROUNDS:-2}
PARTS=${PARTS:-1 2 3}
want() { [[ " $PARTS " == *" $1 "* ]]; }
OUT=build/bench/chat
mkdir -p "$OUT"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	return 0
}
trap cleanup EXIT

for bin in build/chat-server build/chat-bench; do
	[ -x $bin ] || { echo "$bin missing: run make"; exit 1; }
done
if want 1; then
	command -v ncat >/dev/null || { echo "ncat missing (Debian package ncat)"; exit 1; }
	command -v redis-server >/dev/null || { echo "redis-server missing (Debian package redis-server)"; exit 1; }
	command -v nats-server >/dev/null || { echo "nats-server missing (Debian package nats-server)"; exit 1; }
fi

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2" | tail -n1; }
best() {	# best FILE: the result line with the highest deliveries_per_s
	sort -t= -k2 -n -r "$1" 2>/dev/null | head -n1
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
# Parts 2 and 3: p99=0 p99s= errs=0, then tally each run's result line, and
# judge the worst p99 and the sum of errors.
tally() {	# tally LINE
	local p e
	p=$(field p99_ms "$1")
	e=$(field errors "$1")
	p99s="$p99s ${p:-n/a}"
	p99=$(awk -v a="$p99" -v b="${p:-1e9}" 'BEGIN { print (b > a) ? b : a }')
	errs=$((errs + ${e:-1}))
}
# serve_alone LOG MAX_CLIENTS: a fresh chat-server on CPORT for parts 2 and 3,
# idle (its probe connection's LEFT settled); sets SPID and rss0.
serve_alone() {
	CPORT=$(t_free_port)
	build/chat-server --listen 127.0.0.1 --port "$CPORT" --max-clients "$2" $BENCH_LIMITS \
		>"$OUT/$1.log" 2>&1 &
	SPID=$!
	PIDS+=($SPID)
	t_wait_port "$CPORT" || { echo "chat-server did not start"; exit 1; }
	sleep 0.3
	rss0=$(rss_kb "$SPID")
}
stop_alone() { kill -TERM "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
judge() {	# judge PREFIX TARGET_MS
	echo "p99 of each run (ms):$p99s"
	awk -v p="$p99" -v t="$2" -v w="$1" 'BEGIN { printf "%sp99 %s ms (worst run): %s [target < %s ms]\n", w, p, (p < t) ? "target met" : "target missed", t }'
	echo "$1errors ${errs} (all runs): $([ "$errs" = 0 ] && echo "target met" || echo "target missed") [target 0]"
}

# The machine is shared: say how busy it was, figures depend on it.
echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
# chat-bench is one address sending as fast as it can: the per-address and
# rate limits against hostile clients are off for it.
BENCH_LIMITS="--max-per-address 0 --msg-rate 0 --byte-rate 0"

# ---- 1. side by side at 100 clients ----------------------------------------
if want 1; then
	NPORT=$(t_free_port)
	ncat -l --broker --max-conns 2000 127.0.0.1 "$NPORT" >/dev/null 2>&1 &
	PIDS+=($!)
	CPORT=$(t_free_port)
	build/chat-server --listen 127.0.0.1 --port "$CPORT" $BENCH_LIMITS >"$OUT/server-100.log" 2>&1 &
	PIDS+=($!)
	RPORT=$(t_free_port)
	redis-server --bind 127.0.0.1 --port "$RPORT" --save "" --appendonly no \
		--maxclients 2000 >"$OUT/redis.log" 2>&1 &
	PIDS+=($!)
	SPORT=$(t_free_port)
	nats-server -a 127.0.0.1 -p "$SPORT" >"$OUT/nats.log" 2>&1 &
	PIDS+=($!)
	t_wait_port "$NPORT" || { echo "ncat did not start"; exit 1; }
	t_wait_port "$CPORT" || { echo "chat-server did not start"; exit 1; }
	t_wait_port "$RPORT" || { echo "redis-server did not start"; exit 1; }
	t_wait_port "$SPORT" || { echo "nats-server did not start"; exit 1; }

	common="--clients 100 --senders 10 --rate 0 --size 64 --seconds $SECONDS_PER_RUN"
	: >"$OUT/ncat.txt"; : >"$OUT/redis.txt"; : >"$OUT/nats.txt"
	: >"$OUT/frames.txt"; : >"$OUT/e2e.txt"; : >"$OUT/e2e-wire.txt"
	echo "100 clients, 10 senders, max rate (window 64 per sender), 64-byte messages, ${SECONDS_PER_RUN} s per run"
	for r in $(seq 1 "$ROUNDS"); do
		l=$(timeout 60 build/chat-bench --port "$NPORT" $common --raw 2>"$OUT/ncat.err" | tail -n1)
		echo "round $r ncat --broker (raw lines):      $l"; echo "$l" >>"$OUT/ncat.txt"
		l=$(timeout 60 build/chat-bench --port "$RPORT" $common --redis 2>"$OUT/redis.err" | tail -n1)
		echo "round $r redis-server (pub/sub, RESP3): $l"; echo "$l" >>"$OUT/redis.txt"
		l=$(timeout 60 build/chat-bench --port "$SPORT" $common --nats 2>"$OUT/nats.err" | tail -n1)
		echo "round $r nats-server (pub/sub):         $l"; echo "$l" >>"$OUT/nats.txt"
		l=$(timeout 60 build/chat-bench --port "$CPORT" $common 2>"$OUT/frames.err" | tail -n1)
		echo "round $r chat-server (opaque frames):    $l"; echo "$l" >>"$OUT/frames.txt"
		l=$(timeout 90 build/chat-bench --port "$CPORT" $common --passphrase bench-room \
			2>"$OUT/e2e.err" | tail -n1)
		echo "round $r chat-server (e2e, all open):    $l"; echo "$l" >>"$OUT/e2e.txt"
		l=$(timeout 90 build/chat-bench --port "$CPORT" $common --passphrase bench-room \
			--open probe 2>"$OUT/e2e-wire.err" | tail -n1)
		echo "round $r chat-server (e2e, probe opens): $l"; echo "$l" >>"$OUT/e2e-wire.txt"
	done
	nc=$(field deliveries_per_s "$(best "$OUT/ncat.txt")")
	rd=$(field deliveries_per_s "$(best "$OUT/redis.txt")")
	na=$(field deliveries_per_s "$(best "$OUT/nats.txt")")
	n=0 peer=none
	for pv in "ncat:${nc:-0}" "redis:${rd:-0}" "nats:${na:-0}"; do
		v=${pv#*:}
		if awk -v a="$v" -v b="$n" 'BEGIN { exit !(a > b) }'; then n=$v peer=${pv%%:*}; fi
	done
	echo "best peer: $peer (ncat ${nc:-0}, redis ${rd:-0}, nats ${na:-0} deliveries/s)"
	f=$(field deliveries_per_s "$(best "$OUT/frames.txt")")
	e=$(field deliveries_per_s "$(best "$OUT/e2e.txt")")
	rf=$(ratio "${f:-0}" "${n:-0}")
	w=$(field deliveries_per_s "$(best "$OUT/e2e-wire.txt")")
	re=$(ratio "${e:-0}" "${n:-0}")
	rw=$(ratio "${w:-0}" "${n:-0}")
	verdict() { awk -v r="$1" 'BEGIN { print (r != "n/a" && r >= 2.0) ? "target met" : "target missed" }'; }
	echo "ratio chat-server/best peer ($peer) deliveries/s (best runs) [target >= 2.0x]:"
	echo "  opaque frames:                          ${rf}x ($(verdict "$rf"))"
	echo "  e2e sealed, only the probe opens:       ${rw}x ($(verdict "$rw"))"
	# Not judged: here one process does 99 receivers' HMAC + AES on the 2 cores
	# the server also uses; real receivers decrypt on their own machines.
	echo "  e2e sealed, all 100 receivers open here: ${re}x (for scale, not judged: 99 receivers' crypto on the server's cores)"
	cleanup
	PIDS=()
fi

# ---- 2. chat-server alone at 10,000 clients ----------------------------------
if want 2; then
	# BIG_ROUNDS runs (default 3), each with a fresh server; the target is judged
	# on the worst run's p99, memory on the first run.
	big_round() {	# big_round N: one run; sets line, rss0, rss1
		local i
		serve_alone "server-10k.$1" "$BIG_CLIENTS"
		timeout 300 build/chat-bench --port "$CPORT" --clients "$BIG_CLIENTS" --senders 10 --rate 1 \
			--size 64 --seconds 5 --hold 2 >"$OUT/big.$1.txt" 2>"$OUT/big.$1.err" &
		BPID=$!
		rss1=
		for i in $(seq 1 2400); do
			if grep -q '^connected' "$OUT/big.$1.err"; then rss1=$(rss_kb "$SPID"); break; fi
			kill -0 $BPID 2>/dev/null || break
			sleep 0.05
		done
		wait $BPID
		stop_alone
		line=$(tail -n1 "$OUT/big.$1.txt")
		echo "round $1 chat-server: $line"
		grep -v '^connected' "$OUT/big.$1.err" | head -n 5
	}
	echo "$BIG_CLIENTS clients, 10 senders at 1 msg/s, 64-byte messages, 5 s, ${BIG_ROUNDS:-3} runs"
	p99=0 p99s= errs=0 per=
	for r in $(seq 1 "${BIG_ROUNDS:-3}"); do
		big_round "$r"
		tally "$line"
		if [ "$r" = 1 ]; then
			if [ -n "$rss1" ]; then
				per=$(awk -v a="$rss0" -v b="$rss1" -v n="$BIG_CLIENTS" 'BEGIN { printf "%.2f", (b - a) / n }')
				echo "server VmRSS ${rss0} kB idle, ${rss1} kB with $BIG_CLIENTS clients: ${per} KiB per client"
			else
				echo "server VmRSS: the clients never all connected"
			fi
		fi
	done
	judge "" 50	# issue 14: p99 < 50 ms at 10,000 clients
	awk -v k="${per:-1e9}" 'BEGIN { printf "memory %s KiB per idle client: %s [target < 16 KiB]\n", k, (k < 16) ? "target met" : "target missed" }'
fi

# ---- 3. reconnect storm -------------------------------------------------------
# STORM_ROUNDS runs (default 2), each with a fresh server: STORM_CLIENTS
# clients, all but 20 of them connecting during STORM_RAMP seconds while 10
# senders talk at 1 msg/s; every late client joins the room (presence
# notices to the members, the room's history to it).  The target is judged
# on the worst run's p99; the server's memory is sampled every 0.5 s.
if want 3; then
	echo "reconnect storm: $STORM_CLIENTS clients connecting within $STORM_RAMP s, 10 senders at 1 msg/s, 64-byte messages, ${STORM_SECONDS} s after the ramp, $STORM_ROUNDS runs"
	# Each process raises its own RLIMIT_NOFILE up to the hard limit.
	hard=$(ulimit -Hn)
	if [ "$hard" != unlimited ] && [ "$hard" -lt $((STORM_CLIENTS + 200)) ]; then
		echo "warning: open-file hard limit $hard: fewer than $STORM_CLIENTS clients may connect"
	fi
	cpu_s() { awk '{ printf "%.1f", ($14 + $15) / '"$(getconf CLK_TCK)"' }' "/proc/$1/stat"; }
	# how the 2 cores were split: the bench's CPU time too, if time(1) is there
	TIMECMD=()
	[ -x /usr/bin/time ] && TIMECMD=(/usr/bin/time -f "%U %S")
	p99=0 p99s= errs=0 lasts=
	storm_round() {	# storm_round N: one run; sets line, rss0, rssmax, rss1; adds to lasts
		local mpid scpu bcpu
		serve_alone "server-storm.$1" $((STORM_CLIENTS + 100))
		rm -f "$OUT/storm.$1.rssmax"
		timeout 120 "${TIMECMD[@]}" build/chat-bench --port "$CPORT" --clients "$STORM_CLIENTS" \
			--senders 10 --rate 1 --size 64 --ramp "$STORM_RAMP" --seconds "$STORM_SECONDS" \
			>"$OUT/storm.$1.txt" 2>"$OUT/storm.$1.err" &
		BPID=$!
		# the highest VmRSS seen while the bench runs (one awk every 0.5 s)
		(
			max=0
			while kill -0 "$BPID" 2>/dev/null; do
				r=$(rss_kb "$SPID")
				[ "${r:-0}" -gt "$max" ] && max=$r && echo "$max" >"$OUT/storm.$1.rssmax"
				sleep 0.5
			done
		) &
		mpid=$!
		wait "$BPID"
		wait "$mpid"
		sleep 0.5	# the server closes the 10,000 connections
		rss1=$(rss_kb "$SPID")
		rssmax=$(cat "$OUT/storm.$1.rssmax" 2>/dev/null)
		scpu=$(cpu_s "$SPID")
		bcpu=
		[ ${#TIMECMD[@]} -gt 0 ] && bcpu=$(tail -n1 "$OUT/storm.$1.err" | awk 'NF == 2 { printf "%.1f", $1 + $2 }')
		stop_alone
		line=$(tail -n1 "$OUT/storm.$1.txt")
		ramp=$(grep '^ramp_s=' "$OUT/storm.$1.txt" | tail -n1)
		lasts="$lasts $(field last_join_s "$ramp")"
		echo "round $1 chat-server: $line"
		echo "round $1 joins:       $ramp"
		echo "round $1 server VmRSS ${rss0:-?} kB idle, at most ${rssmax:-?} kB during the storm, ${rss1:-?} kB after the clients left"
		echo "round $1 CPU: server ${scpu:-?} s, chat-bench ${bcpu:-?} s (user + system, whole run)"
		grep -v '^[0-9.]* [0-9.]*$' "$OUT/storm.$1.err" | head -n 5
	}
	for r in $(seq 1 "$STORM_ROUNDS"); do storm_round "$r"; tally "$line"; done
	echo "last client joined (s after the ramp began), each run:$lasts"
	judge "storm " 250
fi

echo "host load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
