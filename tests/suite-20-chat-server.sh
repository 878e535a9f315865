#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# suite-20-chat-server.sh - chat-server: frame codec, behaviour over TCP,
# sanitizers, valgrind and a short fuzz run.
#
# Owns: the server-side checks of issue 2 section 7.  Every server binds
# 127.0.0.1 (or ::1) on a free port and is stopped by the trap; the scripted
# clients live in tests/integration/chat_server_check.py.  Expects
# `make all tests` and `make SAN=1 all tests` to have run (tests/run-all
# does); builds the fuzz target itself.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh

CHECK=tests/integration/chat_server_check.py
LOGS=build/test-logs/chat-server
mkdir -p "$LOGS"
SERVER_PIDS=()
cleanup() {
	local p
	for p in "${SERVER_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	return 0
}
trap cleanup EXIT

# start_server NAME BINARY [ARGS...]: run it in the background on a free
# port; sets PORT and SPID, waits (bounded) for its "listening" line.
start_server() {
	local name=$1 bin=$2 i
	shift 2
	PORT=$(t_free_port)
	"$bin" "$@" --port "$PORT" >"$LOGS/$name.log" 2>&1 &
	SPID=$!
	SERVER_PIDS+=("$SPID")
	for i in $(seq 1 300); do
		grep -q 'listening on' "$LOGS/$name.log" 2>/dev/null && return 0
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "server $name did not start:"; cat "$LOGS/$name.log"
	return 1
}

# stop_server [SIGNAL]: send SIGNAL (default TERM), wait (bounded), return
# the server's exit status.
stop_server() {
	local i
	kill -"${1:-TERM}" "$SPID" 2>/dev/null
	for i in $(seq 1 300); do
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$SPID" 2>/dev/null && { kill -KILL "$SPID"; echo "server did not exit on SIGTERM"; }
	wait "$SPID"
}

scenario() {	# scenario NAME [ARGS...] against the running server
	local name=$1
	shift
	timeout 120 python3 "$CHECK" "$name" "$PORT" "$@"
}

bench_ok() {	# chat-bench ARGS...: result line printed last, no errors
	local out
	out=$(timeout 60 build/chat-bench --port "$PORT" "$@" 2>&1 | tail -n1)
	echo "  $out"
	[[ $out =~ ^deliveries_per_s=[0-9]+\ p50_ms=[0-9.]+\ p99_ms=[0-9.]+\ max_ms=[0-9.]+\ errors=0$ ]]
}

no_sanitizer_report() {
	! grep -E 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$1"
}

# ---- unit tests of the frame codec ---------------------------------------
t_cmocka "test_frame" build/test_frame
t_cmocka "test_frame (ASan+UBSan)" build/san/test_frame

# ---- command line --------------------------------------------------------
t_check "--help exits 0 and names every option" \
	sh -c 'build/chat-server --help | grep -q -- --max-queue && build/chat-server --help | grep -q -- --listen'
t_check "unknown option exits 2" sh -c 'build/chat-server --bogus 2>/dev/null; [ $? -eq 2 ]'
t_check "bad --port exits 2" sh -c 'build/chat-server --port 70000 2>/dev/null; [ $? -eq 2 ]'
t_check "bad --listen address exits 1 with a reason" \
	sh -c 'build/chat-server --listen 999.1.1.1 --port 1 2>&1 | grep -q "bad --listen"'

# ---- behaviour (plain build) ---------------------------------------------
if start_server basic build/chat-server --listen 127.0.0.1; then
	t_check "welcome, notices, relay, WHO, split and coalesced frames, largest message" scenario basic
	t_check "relay order preserved (3 senders x 500, 4 receivers)" scenario order 3 500 4
	t_check "2000 clients all receive a broadcast" scenario many 2000
	t_check "relay order and interleaving kept across flush slices (3 senders x 40, 1100 receivers)" \
		scenario order 3 40 1100
	t_check "chat-bench (frames) against chat-server: every message delivered, errors=0" \
		bench_ok --clients 20 --senders 3 --rate 50 --size 100 --seconds 1
	t_check "chat-bench --passphrase (sealed, every receiver opens): errors=0" \
		bench_ok --clients 10 --senders 2 --rate 0 --size 64 --seconds 1 --passphrase suite
	stop_server; t_check "SIGTERM after the scenarios exits 0" test $? -eq 0
else
	t_fail "start chat-server"
fi

if start_server full build/chat-server --listen 127.0.0.1 --max-clients 3; then
	t_check "server full: REFUSED(FULL) and close, others unaffected" scenario full 3
	stop_server >/dev/null
else
	t_fail "start chat-server --max-clients 3"
fi

if start_server slow build/chat-server --listen 127.0.0.1 --max-queue 65536 -v; then
	t_check "a client that stops reading is dropped (SLOW); the others get everything in order" \
		scenario slow 20000 1000
	t_check "the server logged the slow disconnect" grep -q 'left (slow)' "$LOGS/slow.log"
	stop_server >/dev/null
else
	t_fail "start chat-server --max-queue 65536"
fi

# SIGTERM with clients connected: each gets ERROR(SHUTDOWN), server exits 0.
if start_server sigterm build/chat-server --listen 127.0.0.1; then
	fifo=$LOGS/sigterm.out
	timeout 60 python3 "$CHECK" shutdown-clients "$PORT" 5 >"$fifo" 2>&1 &
	cpid=$!
	for i in $(seq 1 100); do grep -q ready "$fifo" && break; sleep 0.1; done
	stop_server; rc=$?
	t_check "SIGTERM with 5 clients connected exits 0" test $rc -eq 0
	wait $cpid; crc=$?
	cat "$fifo"
	t_check "clients get ERROR(SHUTDOWN) and EOF" test $crc -eq 0
else
	t_fail "start chat-server for SIGTERM"
fi

if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	if start_server ipv6 build/chat-server --listen ::1; then
		t_check "IPv6 (--listen ::1)" scenario ipv6
		stop_server >/dev/null
	else
		t_fail "start chat-server --listen ::1"
	fi
else
	echo "SKIP IPv6: no ::1 on this host"
fi

# chat-bench --raw drives ncat --broker (the benchmark's peer).
if command -v ncat >/dev/null; then
	PORT=$(t_free_port)
	ncat -l --broker --max-conns 100 127.0.0.1 "$PORT" >/dev/null 2>&1 &
	SERVER_PIDS+=($!)
	for i in $(seq 1 50); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1).close()" \
			2>/dev/null && break
		sleep 0.1
	done
	t_check "chat-bench --raw against ncat --broker: errors=0" \
		bench_ok --clients 10 --senders 2 --rate 50 --size 64 --seconds 1 --raw
	kill -KILL "${SERVER_PIDS[-1]}" 2>/dev/null
fi

# ---- ASan+UBSan build ----------------------------------------------------
if start_server asan build/san/chat-server --listen 127.0.0.1; then
	t_check "malformed frames (ASan): ERROR to that client only, others keep talking" \
		scenario malformed
	t_check "basic session (ASan)" scenario basic
	stop_server INT; rc=$?
	t_check "ASan server exits 0 on SIGINT" test $rc -eq 0
	t_check "no sanitizer report" no_sanitizer_report "$LOGS/asan.log"
else
	t_fail "start build/san/chat-server"
fi

# ---- valgrind over a scripted session ------------------------------------
if command -v valgrind >/dev/null; then
	if start_server valgrind valgrind --leak-check=full --error-exitcode=1 \
		--errors-for-leak-kinds=definite,indirect,possible \
		build/chat-server --listen 127.0.0.1 --max-queue 65536; then
		out=$LOGS/valgrind-session.out
		scenario session >"$out" 2>&1; src=$?
		cat "$out" | tail -n 5
		t_check "scripted session under valgrind" test $src -eq 0
		stop_server; rc=$?
		t_check "valgrind: no errors, no leaks, exit 0 (rc=$rc)" test $rc -eq 0
		grep -E 'ERROR SUMMARY|definitely lost|in use at exit' "$LOGS/valgrind.log"
	else
		t_fail "start chat-server under valgrind"
	fi
else
	t_fail "valgrind is not installed"
fi

# ---- fuzz: a short run on the seed corpus --------------------------------
if make -s build/fuzz/fuzz_frame >"$LOGS/fuzz-build.log" 2>&1; then
	work=$(mktemp -d)
	build/fuzz/fuzz_frame -max_total_time=20 -timeout=5 "$work" tests/fuzz/corpus/frame \
		>"$LOGS/fuzz.log" 2>&1
	rc=$?
	rm -rf "$work"
	tail -n 2 "$LOGS/fuzz.log"
	t_check "fuzz_frame 20 s on the seed corpus: no crash" test $rc -eq 0
else
	cat "$LOGS/fuzz-build.log"
	t_fail "build fuzz_frame"
fi

t_summary
