#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# suite-20-chat-server.sh - chat-server: frame codec, behaviour over TCP,
# the limits against hostile clients, sanitizers, valgrind and a short fuzz
# run.
#
# Owns: the server-side checks of issue 2 section 7 and of issue 14
# section 3 (rate limits, handshake and idle timeouts, buffers that grow
# with what arrives, --max-memory, --max-per-address, presence batches, WHO
# pages, ids, accept errors).  Every server binds 127.0.0.1 (or ::1) on a
# free port and is stopped by the trap; the scripted clients live in
# tests/integration/chat_server_check.py.  Expects `make all tests` and
# `make SAN=1 all tests` to have run (tests/run-all does); builds the fuzz
# target itself.
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
	! grep -E 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$@"
}

# ---- unit tests of the frame codec and the server's bookkeeping -----------
t_cmocka "test_frame" build/test_frame
t_cmocka "test_frame (ASan+UBSan)" build/san/test_frame
t_cmocka "test_server_bookkeeping" build/test_server_bookkeeping
t_cmocka "test_server_bookkeeping (ASan+UBSan)" build/san/test_server_bookkeeping

# ---- what the relay links: frames and libnats, nothing to open a message --
no_openssl() {
	! readelf -d build/chat-server | grep -q 'NEEDED.*libcrypto' &&
		! nm -D --undefined-only build/chat-server |
			grep -qE ' (EVP_|HMAC|RAND_|CRYPTO_|OPENSSL_|SSL_)'
}
t_check "chat-server links no OpenSSL and asks for none of its symbols (chat/server/ cannot open messages)" no_openssl

# ---- command line --------------------------------------------------------
help_names_all() {
	local h o
	h=$(build/chat-server --help) || return 1
	for o in --listen --port --max-clients --max-queue --msg-rate --msg-burst \
		--byte-rate --byte-burst --flood-timeout --handshake-timeout \
		--idle-timeout --max-memory --max-per-address --who-page; do
		grep -q -- "$o" <<<"$h" || { echo "  --help does not name $o"; return 1; }
	done
	# the defaults of the limits are in the text
	grep -q 'second (default 50)' <<<"$h" && grep -q 'default 32)' <<<"$h" &&
		grep -q '(default 1073741824)' <<<"$h"
}
t_check "--help exits 0, names every option and the limits' defaults" help_names_all
t_check "unknown option exits 2" sh -c 'build/chat-server --bogus 2>/dev/null; [ $? -eq 2 ]'
t_check "bad --port exits 2" sh -c 'build/chat-server --port 70000 2>/dev/null; [ $? -eq 2 ]'
t_check "a negative or overflowing number is refused (exit 2)" sh -c \
	'build/chat-server --max-queue " -1" 2>/dev/null; [ $? -eq 2 ] &&
	 build/chat-server --max-memory 99999999999999999999g 2>/dev/null; [ $? -eq 2 ] &&
	 build/chat-server --byte-burst 18014398509481984k 2>/dev/null; [ $? -eq 2 ]'
t_check "--max-memory below what the server needs: exit 1 with a reason" \
	sh -c 'build/chat-server --listen 127.0.0.1 --port 1 --max-memory 4k 2>&1 | grep -q "max-memory"'
t_check "bad --listen address exits 1 with a reason" \
	sh -c 'build/chat-server --listen 999.1.1.1 --port 1 2>&1 | grep -q "bad --listen"'

# ---- behaviour (plain build) ---------------------------------------------
# Servers that take floods on purpose run without the per-connection limits.
NOLIMITS="--max-per-address 0 --msg-rate 0 --byte-rate 0"
if start_server basic build/chat-server --listen 127.0.0.1 $NOLIMITS; then
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

# --coalesce-ms: held output after a write pass, none after a quiet spell;
# fan-outs keep their order and every delivery with a short hold.
if start_server coalesce build/chat-server --listen 127.0.0.1 $NOLIMITS --coalesce-ms 600; then
	t_check "--coalesce-ms 600: written at once after a quiet spell, held after a write pass, in order" \
		scenario coalesce 600
	stop_server >/dev/null
else
	t_fail "start chat-server --coalesce-ms 600"
fi
if start_server coalesce-5 build/chat-server --listen 127.0.0.1 $NOLIMITS --coalesce-ms 5; then
	t_check "--coalesce-ms 5: relay order preserved (3 senders x 500, 4 receivers)" scenario order 3 500 4
	t_check "--coalesce-ms 5: order kept across flush slices (3 x 40, 1100 receivers)" scenario order 3 40 1100
	stop_server; t_check "--coalesce-ms 5: SIGTERM exits 0" test $? -eq 0
else
	t_fail "start chat-server --coalesce-ms 5"
fi

# The same fan-outs with write threads sharing the writes (write_pool.c),
# plain and under ASan+UBSan: order, every delivery, a slow reader (its own
# server with a small --max-queue, as above), SIGTERM.
for wt in build build/san; do
	tag=threads-${wt//\//-}
	if start_server "$tag" "$wt/chat-server" --listen 127.0.0.1 $NOLIMITS --write-threads 2; then
		t_check "--write-threads 2 ($wt): relay order preserved (3 senders x 500, 4 receivers)" \
			scenario order 3 500 4
		t_check "--write-threads 2 ($wt): order kept across flush slices (3 x 40, 1100 receivers)" \
			scenario order 3 40 1100
		t_check "--write-threads 2 ($wt): 2000 clients all receive a broadcast" scenario many 2000
		stop_server; t_check "--write-threads 2 ($wt): SIGTERM exits 0" test $? -eq 0
	else
		t_fail "start $wt/chat-server --write-threads 2"
	fi
	if start_server "$tag-slow" "$wt/chat-server" --listen 127.0.0.1 $NOLIMITS \
		--write-threads 2 --max-queue 65536; then
		t_check "--write-threads 2 ($wt): a client that stops reading is dropped, the others get everything" \
			scenario slow 20000 1000
		stop_server >/dev/null
	else
		t_fail "start $wt/chat-server --write-threads 2 --max-queue 65536"
	fi
	t_check "--write-threads 2 ($wt): no sanitizer report" \
		no_sanitizer_report "$LOGS/$tag.log" "$LOGS/$tag-slow.log"
done

if start_server history build/chat-server --listen 127.0.0.1 $NOLIMITS --history 50; then
	t_check "history: a late joiner gets the newest --history messages as HISTORY, in order, before live ones" \
		scenario history 50
	stop_server >/dev/null
else
	t_fail "start chat-server --history 50"
fi
if start_server default-history build/chat-server --listen 127.0.0.1 $NOLIMITS; then
	t_check "history: 200 messages kept by default" scenario history 200
	stop_server >/dev/null
else
	t_fail "start chat-server (default history)"
fi
if start_server no-history build/chat-server --listen 127.0.0.1 --history 0; then
	t_check "--history 0: no HISTORY frames" scenario no-history
	stop_server >/dev/null
else
	t_fail "start chat-server --history 0"
fi

if start_server full build/chat-server --listen 127.0.0.1 --max-clients 3; then
	t_check "server full: REFUSED(FULL) and close, others unaffected" scenario full 3
	stop_server >/dev/null
else
	t_fail "start chat-server --max-clients 3"
fi

if start_server slow build/chat-server --listen 127.0.0.1 --max-queue 65536 $NOLIMITS -v; then
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
	t_wait_port "$PORT" 50
	t_check "chat-bench --raw against ncat --broker: errors=0" \
		bench_ok --clients 10 --senders 2 --rate 50 --size 64 --seconds 1 --raw
	kill -KILL "${SERVER_PIDS[-1]}" 2>/dev/null
fi

# chat-bench --redis and --nats drive the other two peers of the benchmark:
# every message delivered to every other client, none twice (Redis echoes a
# publisher's own messages: chat-bench must not count them).
if command -v redis-server >/dev/null; then
	PORT=$(t_free_port)
	redis-server --bind 127.0.0.1 --port "$PORT" --save "" --appendonly no >/dev/null 2>&1 &
	SERVER_PIDS+=($!)
	t_wait_port "$PORT" 50
	t_check "chat-bench --redis against redis-server (RESP3 pub/sub): every message once, errors=0" \
		bench_ok --clients 10 --senders 2 --rate 50 --size 64 --seconds 1 --redis
	kill -KILL "${SERVER_PIDS[-1]}" 2>/dev/null
fi
if command -v nats-server >/dev/null; then
	PORT=$(t_free_port)
	nats-server -a 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
	SERVER_PIDS+=($!)
	t_wait_port "$PORT" 50
	t_check "chat-bench --nats against nats-server: every message once, errors=0" \
		bench_ok --clients 10 --senders 2 --rate 50 --size 64 --seconds 1 --nats
	kill -KILL "${SERVER_PIDS[-1]}" 2>/dev/null
fi

# ---- limits against hostile clients (issue 14 section 3) -------------------
# Each server runs with one limit set low; each scenario fails without it.
limit_case() {	# limit_case NAME "SERVER ARGS" SCENARIO [ARGS...] (PID: the server's)
	local name=$1 sargs=$2 a args=()
	shift 2
	if start_server "$name" build/chat-server --listen 127.0.0.1 $sargs -v; then
		for a in "$@"; do [ "$a" = PID ] && a=$SPID; args+=("$a"); done
		scenario "${args[@]}"
		LIMIT_RC=$?
		stop_server >/dev/null
	else
		LIMIT_RC=1
	fi
	return $LIMIT_RC
}
t_check "frame rate: a client within its limits loses nothing; a flooder is read at the rate, then disconnected (FLOOD)" \
	limit_case rate "--msg-rate 20 --msg-burst 5 --flood-timeout 2" rate 20 5 2
t_check "byte rate: a sender is read no faster than --byte-rate; its messages arrive whole" \
	limit_case byte-rate "--msg-rate 0 --byte-rate 100k --byte-burst 64k --flood-timeout 0" \
	byte-rate 102400 65536
t_check "handshake timeout: silent and trickling connections closed (TIMEOUT), answering ones kept" \
	limit_case handshake "--handshake-timeout 2" handshake 2
t_check "idle timeout: PINGs keep a silent client; one that stops answering is closed (TIMEOUT)" \
	limit_case idle "--idle-timeout 4" idle 4
t_check "400 headers announcing 256 KiB each: no allocation beyond what arrived (--max-memory 8m)" \
	limit_case header-only "--max-memory 8m $NOLIMITS" header-only 400 PID
t_check "--max-memory 6m: clients holding the most are refused or disconnected (MEMORY), others go on" \
	limit_case memory "--max-memory 6m $NOLIMITS" memory 40 PID 6
t_check "--max-per-address 3: the 4th connection from 127.0.0.1 is REFUSED(ADDRESS)" \
	limit_case per-address "--max-per-address 3" per-address 3
t_check "presence: 300 joins and leaves in a few PRESENCE frames; short-lived connections cancel out" \
	limit_case presence "--max-per-address 0" presence 300
t_check "WHO pages (--who-page 100, 351 clients): every id once, also while clients come and go" \
	limit_case who-pages "--who-page 100 --max-per-address 0" who-pages 350 100

# accept() failing (ENOBUFS, EMFILE) must not make the listener spin: an
# LD_PRELOAD shim fails accept4 while a file exists and counts the calls.
for err in ENOBUFS EMFILE; do
	ctl=$LOGS/accept-fail.$err cnt=$LOGS/accept-count.$err
	echo $err >"$ctl"
	rm -f "$cnt"
	if start_server "accept-$err" env ACCEPT_FAIL_FILE="$ctl" ACCEPT_COUNT_FILE="$cnt" \
		LD_PRELOAD="$PWD/build/accept_fail_shim.so" build/chat-server --listen 127.0.0.1; then
		scenario accept-stall "$ctl" 1; src=$?
		stop_server >/dev/null
		calls=$(cat "$cnt" 2>/dev/null || echo none)
		echo "  accept4 failed $calls times in 1 s"
		t_check "accept failing with $err for 1 s: no busy loop ($calls calls), the waiting client is served after" \
			sh -c "[ $src -eq 0 ] && [ '$calls' != none ] && [ '$calls' -le 50 ]"
		t_check "the server said it pauses accepting" grep -q 'not accepting for a while' "$LOGS/accept-$err.log"
	else
		t_fail "start chat-server with the accept shim"
	fi
done

# ---- ASan+UBSan build ----------------------------------------------------
# (with the limits low, so that their code runs under the sanitizers too)
if start_server asan build/san/chat-server --listen 127.0.0.1 --idle-timeout 3 \
	--handshake-timeout 2 --msg-rate 20 --msg-burst 5 --flood-timeout 2; then
	t_check "malformed frames (ASan): ERROR to that client only, others keep talking" \
		scenario malformed
	t_check "basic session (ASan)" scenario basic
	t_check "limits (ASan): flood" scenario rate 20 5 2
	t_check "limits (ASan): handshake timeout" scenario handshake 2
	t_check "limits (ASan): idle timeout" scenario idle 3
	stop_server INT; rc=$?
	t_check "ASan server exits 0 on SIGINT" test $rc -eq 0
	t_check "no sanitizer report" no_sanitizer_report "$LOGS/asan.log"
else
	t_fail "start build/san/chat-server"
fi
if start_server asan-memory build/san/chat-server --listen 127.0.0.1 --max-memory 8m \
	$NOLIMITS --who-page 10; then
	t_check "limits (ASan): memory cap" scenario memory 50 0 8
	t_check "limits (ASan): presence batches" scenario presence 30
	t_check "limits (ASan): WHO pages" scenario who-pages 35 10
	stop_server; rc=$?
	t_check "ASan server exits 0 on SIGTERM, no sanitizer report" \
		sh -c "[ $rc -eq 0 ] && ! grep -Eq 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' $LOGS/asan-memory.log"
else
	t_fail "start build/san/chat-server --max-memory 8m"
fi

# ---- valgrind over a scripted session ------------------------------------
if command -v valgrind >/dev/null; then
	if start_server valgrind valgrind --leak-check=full --error-exitcode=1 \
		--errors-for-leak-kinds=definite,indirect,possible \
		build/chat-server --listen 127.0.0.1 --max-queue 65536 $NOLIMITS; then
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
t_fuzz fuzz_frame build/fuzz/fuzz_frame tests/fuzz/corpus/frame 20 "$LOGS"
t_fuzz fuzz_bench_peers build/fuzz/fuzz_bench_peers tests/fuzz/corpus/bench_peers 5 "$LOGS"

t_summary
