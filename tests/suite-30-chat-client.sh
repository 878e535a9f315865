#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# suite-30-chat-client.sh - chat-client and its end-to-end encryption.
#
# Owns: the client-side checks of issue 2 section 7: room crypto, terminal
# key queue and display filter unit tests (plain and ASan+UBSan), then
# integration on 127.0.0.1 with build/chat-server: clients talking, wrong
# passphrase, a bit flipped on the wire (tests/integration/chat_flip_proxy.py),
# large and oversized messages, --linger, server full; against
# tests/integration/chat_fake_server.py: another protocol version, an ERROR
# frame, --linger timing, replayed and re-attributed messages; terminal
# tests in tmux with the plain and the ASan+UBSan client (issue 14 section 4:
# typed line survives incoming messages, wide characters, Esc, Ctrl+R,
# pastes up to 200,000 characters, /who, /nick, a resize, --history-file,
# Ctrl+C restores the terminal); a short fuzz run.  Every wait is bounded; every
# process started here is stopped by the trap.  Expects `make all tests` and
# `make SAN=1 all tests` (tests/run-all does); builds the fuzz target itself.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh

CLIENT=build/chat-client
SAN_CLIENT=build/san/chat-client
PROXY=tests/integration/chat_flip_proxy.py
FAKE=tests/integration/chat_fake_server.py
D=$(mktemp -d /tmp/suite-30.XXXXXX)
TMUX_SOCK="suite30-$$"
PIDS=()
declare -A FD CPID

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	rm -rf "$D"
	return 0
}
trap cleanup EXIT

export CHAT_PASSPHRASE="correct horse battery staple"
unset NO_COLOR
printf '%s\n' "$CHAT_PASSPHRASE" >"$D/pass"

TS='\[[0-9]{2}:[0-9]{2}:[0-9]{2}\]'

# wait_for FILE ERE [TENTHS]: until a line of FILE matches (default 20 s).
wait_for() {
	local i n=${3:-200}
	for ((i = 0; i < n; i++)); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "  timed out waiting for /$2/ in $1"
	return 1
}

# wait_exit PID [TENTHS]: wait (bounded, default 20 s); status in WRC.
# (Not in $(...): a subshell cannot wait for this shell's children.)
wait_exit() {
	local i n=${2:-200}
	for ((i = 0; i < n; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		echo "  process $1 did not exit" >&2
	fi
	wait "$1"
	WRC=$?
}

# start_server NAME ARGS...: build/chat-server on a free port -> PORT.
start_server() {
	local name=$1
	shift
	PORT=$(t_free_port)
	build/chat-server --listen 127.0.0.1 --port "$PORT" "$@" >"$D/$name.log" 2>&1 &
	PIDS+=($!)
	wait_for "$D/$name.log" 'listening on'
}

# start_helper NAME SCRIPT ARGS...: a python helper that prints "ready".
start_helper() {
	local name=$1
	shift
	python3 "$@" >"$D/$name.log" 2>&1 &
	PIDS+=($!)
	HPID=$!
	wait_for "$D/$name.log" '^ready'
}

# client NAME BINARY PORT [ARGS...]: a client whose stdin is a pipe we hold
# open on FD[NAME]; output in $D/NAME.out and $D/NAME.err.
# PORT "-": no positional HOST PORT (the relays are --server ARGS).
client() {
	local name=$1 bin=$2 port=$3 fd where
	shift 3
	where=(127.0.0.1 "$port")
	[ "$port" = - ] && where=()
	mkfifo "$D/$name.in"
	# (the other clients' pipe ends are closed in the child, so that each
	# client sees EOF as soon as its own pipe is hung up)
	(
		for fd in "${FD[@]}"; do eval "exec $fd>&-"; done
		exec "$bin" "$@" "${where[@]}" <"$D/$name.in" >"$D/$name.out" 2>"$D/$name.err"
	) &
	CPID[$name]=$!
	PIDS+=($!)
	exec {fd}>"$D/$name.in"
	FD[$name]=$fd
}
say() { printf '%s\n' "$2" >&"${FD[$1]}"; }
say_file() { cat "$2" >&"${FD[$1]}"; }
hangup() { exec {FD[$1]}>&-; }
client_id() { sed -nE 's/.*\* connected as [^ ]+ \(([0-9]+)\).*/\1/p' "$D/$1.out" | head -n1; }

# has NAME ERE / hasnt NAME ERE / count NAME ERE on NAME's stdout.
has() { grep -Eq -- "$2" "$D/$1.out"; }
hasnt() { ! grep -Eq -- "$2" "$D/$1.out"; }
count() { grep -Ec -- "$2" "$D/$1.out"; }
no_san_report() { ! grep -Eq 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$@"; }

# ---- unit tests ------------------------------------------------------------
t_cmocka "test_room_crypto" build/test_room_crypto
t_cmocka "test_room_crypto (ASan+UBSan)" build/san/test_room_crypto
t_cmocka "test_client_keyq" build/test_client_keyq
t_cmocka "test_client_keyq (ASan+UBSan)" build/san/test_client_keyq
t_cmocka "test_client_fmt" build/test_client_fmt
t_cmocka "test_client_fmt (ASan+UBSan)" build/san/test_client_fmt
t_cmocka "test_client_servers" build/test_client_servers
t_cmocka "test_client_servers (ASan+UBSan)" build/san/test_client_servers

# ---- command line ----------------------------------------------------------
t_check "--help exits 0 and names every option" sh -c \
	"$CLIENT --help | grep -q -- --passphrase-file && $CLIENT --help | grep -q -- --crypto-device && $CLIENT --help | grep -q -- --linger"
t_check "unknown option exits 2" sh -c "$CLIENT --bogus x 2>/dev/null; [ \$? -eq 2 ]"
t_check "bad --crypto exits 2" sh -c "$CLIENT --crypto magic x 2>/dev/null; [ \$? -eq 2 ]"
t_check "bad --nick exits 2" sh -c "$CLIENT --nick 'two words' x 2>/dev/null; [ \$? -eq 2 ]"
out=$($CLIENT --crypto device --crypto-device "$D/no-such-node" 127.0.0.1 1 2>&1 </dev/null); rc=$?
t_check "--crypto device with a missing node: exit 1, one line naming it" \
	test "$rc" = 1 -a "$(printf '%s\n' "$out" | wc -l)" = 1 -a -n "$(printf '%s' "$out" | grep no-such-node)"
out=$(env -u CHAT_PASSPHRASE setsid -w $CLIENT 127.0.0.1 1 2>&1 </dev/null); rc=$?
t_check "no passphrase and no terminal: exit 1 with a reason" \
	sh -c "[ $rc = 1 ] && printf '%s' '$out' | grep -q 'no passphrase'"
P0=$(t_free_port)
out=$($CLIENT 127.0.0.1 "$P0" 2>&1 </dev/null); rc=$?
t_check "nothing listening: exit 1, one line 'cannot connect'" \
	test "$rc" = 1 -a "$(printf '%s\n' "$out" | wc -l)" = 1 -a -n "$(printf '%s' "$out" | grep 'cannot connect')"

# ---- a room: three clients, a wrong passphrase, a flipped bit --------------
if start_server room; then
	SPORT=$PORT
	PPORT=$(t_free_port)
	start_helper proxy "$PROXY" "$PPORT" "$SPORT" --offset 40
	# one after the other, so that the join order (and who sees whose
	# join notice and hello) is known
	client alice "$CLIENT" "$SPORT" --nick alice --crypto software
	wait_for "$D/alice.out" 'you joined'
	client bob "$CLIENT" "$SPORT" --nick bob --passphrase-file "$D/pass"
	wait_for "$D/bob.out" 'you joined'
	client carol "$SAN_CLIENT" "$SPORT" --nick carol
	wait_for "$D/carol.out" 'you joined'
	CHAT_PASSPHRASE="not the room key" client dave "$CLIENT" "$SPORT" --nick dave
	wait_for "$D/dave.out" 'you joined'
	client eve "$CLIENT" "$PPORT" --nick eve
	wait_for "$D/eve.out" 'you joined'
	IA=$(client_id alice) IB=$(client_id bob) IC=$(client_id carol)
	ID=$(client_id dave) IE=$(client_id eve)

	python3 -c "import random; r=random.Random(1); print(''.join(r.choice('abcdefghijklmnopqrstuvwxyz0123456789 .,;!?') for _ in range(65536)))" >"$D/big"
	python3 -c "import random; r=random.Random(2); print(''.join(r.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ') for _ in range(255*1024)))" >"$D/max"
	python3 -c "print('Z' * (255*1024 + 1))" >"$D/toolong"
	say alice "hello from alice"
	say bob "hi, bob here"
	say carol "carol says: ünïcödé ok"
	say eve "eve flipped secret"
	say_file alice "$D/big"
	say_file alice "$D/toolong"
	say_file bob "$D/max"
	say alice "after the long ones"
	for c in bob carol; do wait_for "$D/$c.out" '<alice> after the long ones$'; done
	wait_for "$D/alice.out" '<bob> [A-Z]{1000}'
	wait_for "$D/carol.out" '<bob> [A-Z]{1000}'
	wait_for "$D/alice.out" "cannot authenticate message from $IE"
	# nick announcements go out after a random pause of up to 3 s
	wait_for "$D/alice.out" "\\* $IB is bob\$" >/dev/null

	t_check "bob sees alice's and carol's lines exactly" \
		sh -c "grep -Eqx '$TS <alice> hello from alice' $D/bob.out && grep -Eqx '$TS <carol> carol says: ünïcödé ok' $D/bob.out"
	t_check "alice sees bob's and carol's lines exactly" \
		sh -c "grep -Eqx '$TS <bob> hi, bob here' $D/alice.out && grep -Eqx '$TS <carol> carol says: ünïcödé ok' $D/alice.out"
	t_check "carol (ASan+UBSan build) sees alice's and bob's lines exactly" \
		sh -c "grep -Eqx '$TS <alice> hello from alice' $D/carol.out && grep -Eqx '$TS <bob> hi, bob here' $D/carol.out"
	t_check "a client's own lines are not echoed on stdout" \
		sh -c "! grep -q '<alice>' $D/alice.out && ! grep -q '<bob>' $D/bob.out"
	t_check "notices: joins with ids and nicks learnt from the room" \
		sh -c "grep -Eq '$TS \\* $IB is bob\$' $D/alice.out && grep -Eq '$TS \\* $IE joined\$' $D/carol.out"
	t_check "64 KiB message arrives intact" \
		sh -c "sed -nE 's/^$TS <alice> //p' $D/bob.out | grep -Fxqf $D/big"
	t_check "largest message (255 KiB) arrives intact (ASan client)" \
		sh -c "sed -nE 's/^$TS <bob> //p' $D/carol.out | grep -Fxqf $D/max"
	t_check "longer line refused with a clear warning, never cut or sent" \
		sh -c "grep -Eq '$TS \\* message too long \\(261121 bytes, the maximum is 261120\\): not sent' $D/alice.out && ! grep -q ZZZZZZZZZZ $D/bob.out $D/carol.out"
	t_check "wrong passphrase: another room (1 member), no plaintext at all" \
		sh -c "grep -Eq 'you joined lobby, 1 member in the room' $D/dave.out &&
		       ! grep -Eq '<|hello from alice|bob here|carol says|after the long' $D/dave.out"
	t_check "room members never see the wrong-key client" \
		sh -c "! grep -Eq \"(^|[^0-9])$ID joined|dave\" $D/alice.out $D/bob.out"
	t_check "bit flipped on the wire (proxy): rejected with a warning, no plaintext" \
		sh -c "for c in alice bob carol; do grep -Eq '$TS \\* cannot authenticate message from $IE' $D/\$c.out || exit 1; done; ! grep -q 'eve flipped secret' $D/*.out"

	# carol leaves first: eve, who joined after her, learnt her nick from
	# the nick info carol sent when eve joined
	hangup carol
	wait_exit "${CPID[carol]}"
	ok=1
	[ "$WRC" = 0 ] || { ok=0; echo "  carol exited $WRC: $(cat "$D/carol.err")"; }
	wait_for "$D/eve.out" "carol \\($IC\\) left" >/dev/null
	t_check "a newcomer learns earlier members' nicks (LEFT shows 'carol ($IC)')" \
		grep -Eq "$TS \\* carol \\($IC\\) left\$" "$D/eve.out"
	for c in alice bob dave eve; do hangup $c; done
	for c in alice bob dave eve; do
		wait_exit "${CPID[$c]}"
		[ "$WRC" = 0 ] || { ok=0; echo "  $c exited $WRC: $(cat "$D/$c.err")"; }
	done
	t_check "every client exits 0 at stdin EOF" test $ok = 1
	t_check "the engine in use is said on stderr" grep -q 'crypto engine: software' "$D/alice.err"
	t_check "no sanitizer report from the ASan client" no_san_report "$D/carol.err"

	out=$($CLIENT localhost "$SPORT" 2>&1 </dev/null); rc=$?
	t_check "host name (localhost) resolves and connects" test "$rc" = 0
fi

if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	P6=$(t_free_port)
	build/chat-server --listen ::1 --port "$P6" >"$D/v6.log" 2>&1 &
	PIDS+=($!)
	if wait_for "$D/v6.log" 'listening on'; then
		$CLIENT ::1 "$P6" </dev/null >"$D/v6.out" 2>&1; rc=$?
		t_check "IPv6 (::1): connects, derives keys, exits 0" \
			sh -c "[ $rc = 0 ] && grep -q 'connected as' $D/v6.out"
	fi
else
	echo "SKIP IPv6: no ::1 on this host"
fi

# ---- --linger with chat-server ---------------------------------------------
if start_server linger; then
	client stay "$CLIENT" "$PORT" --nick stay
	wait_for "$D/stay.out" 'you joined'
	$CLIENT --nick late --linger 5 127.0.0.1 "$PORT" </dev/null >"$D/late.out" 2>"$D/late.err" &
	LP=$!
	PIDS+=($LP)
	wait_for "$D/late.out" 'you joined'
	say stay "said after late's stdin ended"
	wait_exit "$LP"
	t_check "--linger 5 (chat-server): a line sent after stdin EOF is shown, exit 0" \
		sh -c "[ $WRC = 0 ] && grep -Eqx '$TS <stay> said after late.s stdin ended' $D/late.out"
	wait_for "$D/stay.out" 'late \([0-9]+\) left$' >/dev/null
	t_check "the lingering client leaves the room only after --linger" \
		grep -Eq "$TS \\* late \\([0-9]+\\) left\$" "$D/stay.out"
	hangup stay
	wait_exit "${CPID[stay]}"
fi

# ---- relay list and reconnection (one chat-server; two federated relays
# are suite-25's "failover" scenario) ---------------------------------------
for bad in 127.0.0.1 127.0.0.1:0 127.0.0.1:65536 'junk here:1' '::1:35001' '[::1]' 127.0.0.1:x; do
	out=$($CLIENT --server "$bad" 2>&1 </dev/null); rc=$?
	if [ "$rc" = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] &&
	   printf '%s' "$out" | grep -q '^chat-client: --server: '; then
		t_pass "--server '$bad': exit 2 with one line saying why"
	else
		t_fail "--server '$bad': exit 2 with one line saying why (rc $rc: $out)"
	fi
done
out=$($CLIENT 127.0.0.1 0 2>&1 </dev/null); rc=$?
t_check "positional port 0: exit 2 with a reason" \
	sh -c "[ $rc = 2 ] && printf '%s' '$out' | grep -q 'port: expected a number 1..65535'"
if start_server failover; then
	FOPORT=$PORT
	FOSRV=${PIDS[-1]}
	DEAD=$(t_free_port)
	# the first relay of the list is dead: the second one is used
	$SAN_CLIENT --nick second --server 127.0.0.1:"$DEAD" --server "127.0.0.1:$FOPORT" \
		</dev/null >"$D/second-entry.out" 2>"$D/second-entry.err"; rc=$?
	t_check "--server DEAD --server LIVE: connects to the second, exit 0 (ASan client)" \
		sh -c "[ $rc = 0 ] && grep -q 'connected as second' $D/second-entry.out"
	$CLIENT --server 127.0.0.1:"$DEAD" --server "[::1]:$DEAD" </dev/null >/dev/null 2>"$D/none.err"; rc=$?
	t_check "no relay of the list answers: exit 1, one line naming each" \
		sh -c "[ $rc = 1 ] && [ \$(wc -l <$D/none.err) = 1 ] && grep -q 'cannot connect to 127.0.0.1 port $DEAD: .*; cannot connect to ::1 port $DEAD' $D/none.err"

	# one relay, reconnect by default: the relay dies, the client keeps
	# trying with growing pauses, the relay comes back on the same port,
	# the client rejoins and reads a newcomer's message once
	client fo "$SAN_CLIENT" "$FOPORT" --nick fo
	client fono "$CLIENT" "$FOPORT" --nick fono --no-reconnect
	wait_for "$D/fo.out" 'you joined' && wait_for "$D/fono.out" 'you joined'
	say fo "before the relay died"
	wait_for "$D/fono.out" '<fo> before the relay died' >/dev/null
	kill -KILL "$FOSRV"
	for ((i = 0; i < 50; i++)); do
		[ "$(grep -c 'cannot connect to 127.0.0.1' "$D/fo.out")" -ge 3 ] && break
		sleep 0.1
	done
	wait_exit "${CPID[fono]}" 50
	t_check "--no-reconnect: relay killed, exit 1 with the reason" \
		sh -c "[ $WRC = 1 ] && grep -Eq '^chat-client: (the server closed the connection|connection lost: )' $D/fono.err"
	t_check "relay killed: 'connection to 127.0.0.1:$FOPORT lost (...); reconnecting to 127.0.0.1:$FOPORT in N s'" \
		grep -Eq "$TS \\* connection to 127\\.0\\.0\\.1:$FOPORT lost \\([^)]+\\); reconnecting to 127\\.0\\.0\\.1:$FOPORT in 0\\.[1-3] s\$" "$D/fo.out"
	# the pauses: 0.2 s, 0.4 s, 0.8 s ... each within +-50 %, never above 15 s
	t_check "reconnection pauses double from 0.2 s with +-50 % jitter, bounded" \
		python3 -c '
import re, sys
d = [float(x) for x in re.findall(r"in ([0-9.]+) s$", open(sys.argv[1]).read(), re.M)]
n = [min(0.2 * 2 ** i, 10) for i in range(len(d))]
ok = len(d) >= 3 and all(a / 2 - 0.05 <= x <= a * 1.5 + 0.05 for a, x in zip(n, d))
print("  pauses:", d) if not ok else None
sys.exit(0 if ok else 1)' "$D/fo.out"
	build/chat-server --listen 127.0.0.1 --port "$FOPORT" >"$D/failover2.log" 2>&1 &
	PIDS+=($!)
	FOSRV=$!
	wait_for "$D/fo.out" "reconnected to 127\\.0\\.0\\.1:$FOPORT as fo \\([0-9]+\\)" 300 &&
		wait_for "$D/fo.out" 'you joined lobby.*' >/dev/null
	t_check "the relay back: 'reconnected to 127.0.0.1:$FOPORT as fo (ID)', the room joined again" \
		sh -c "grep -Eq '$TS \\* reconnected to 127\\.0\\.0\\.1:$FOPORT as fo \\([0-9]+\\)' $D/fo.out && [ \$(grep -c 'you joined lobby' $D/fo.out) = 2 ]"
	client fonew "$CLIENT" "$FOPORT" --nick fonew
	wait_for "$D/fonew.out" 'you joined'
	say fonew "after the relay came back"
	say fo "fo after reconnecting"
	wait_for "$D/fo.out" '<fonew> after the relay came back' >/dev/null
	wait_for "$D/fonew.out" '<fo> fo after reconnecting' >/dev/null
	t_check "after the reconnect: messages both ways, each shown once" \
		sh -c "[ \$(grep -c '<fonew> after the relay came back' $D/fo.out) = 1 ] && [ \$(grep -c '<fo> fo after reconnecting' $D/fonew.out) = 1 ]"
	# the relay dies again: SIGTERM during the pauses ends the client at once
	hangup fonew
	wait_exit "${CPID[fonew]}"
	kill -KILL "$FOSRV"
	for ((i = 0; i < 50; i++)); do
		[ "$(grep -c ' lost (' "$D/fo.out")" -ge 2 ] && break
		sleep 0.1
	done
	sleep 0.5
	kill -TERM "${CPID[fo]}"
	wait_exit "${CPID[fo]}" 20
	t_check "SIGTERM while reconnecting: exit 0 within 2 s" test "$WRC" = 0
	t_check "no sanitizer report from the reconnecting ASan client" no_san_report "$D/fo.err" "$D/second-entry.err"
	hangup fo
	hangup fono
fi

# ---- rooms, same nicks, invisible characters (chat-server) ----------------
if start_server rooms; then
	client ann "$CLIENT" "$PORT" --nick ann
	wait_for "$D/ann.out" 'you joined'
	client ben "$CLIENT" "$PORT" --nick ben --room other
	wait_for "$D/ben.out" 'you joined'
	client cat "$SAN_CLIENT" "$PORT" --nick cat --room other --room lobby
	wait_for "$D/cat.out" 'you joined lobby'
	wait_for "$D/cat.out" 'you joined other'
	CHAT_PASSPHRASE="not the same" client dan "$CLIENT" "$PORT" --nick dan --room other
	wait_for "$D/dan.out" 'you joined'
	client twin1 "$CLIENT" "$PORT" --nick twin
	wait_for "$D/twin1.out" 'you joined'
	client twin2 "$CLIENT" "$PORT" --nick twin
	wait_for "$D/twin2.out" 'you joined'
	say ann "ann in the lobby"
	say ben "ben in other"
	say dan "dan in other, other passphrase"
	say cat "cat to other"
	wait_for "$D/ann.out" 'both go by twin' >/dev/null	# both said hello
	say twin1 "first twin"
	say twin2 "second twin"
	say ann "$(printf 'spoof \342\200\256gnp.exe zero\342\200\213width bidi\342\201\246x')"
	wait_for "$D/cat.out" '<ann> spoof' >/dev/null
	wait_for "$D/ann.out" 'second twin' >/dev/null
	wait_for "$D/ben.out" '<cat> cat to other' >/dev/null
	t_check "rooms: a member of two rooms sees each labelled with its room" \
		sh -c "grep -Eqx '$TS #lobby <ann> ann in the lobby' $D/cat.out && grep -Eqx '$TS #other <ben> ben in other' $D/cat.out"
	t_check "rooms: lines go to the first --room; other rooms never see them" \
		sh -c "grep -Eqx '$TS <cat> cat to other' $D/ben.out && ! grep -q 'cat to other' $D/ann.out && ! grep -q 'ann in the lobby' $D/ben.out"
	t_check "rooms: same name, other passphrase: another room (nothing received, nothing readable)" \
		sh -c "! grep -Eq 'in other|to other|lobby' $D/dan.out && ! grep -q 'dan in other' $D/ben.out $D/cat.out"
	t_check "two members with one nick are told apart on screen, with a warning" \
		sh -c "grep -Eq '$TS \\* [0-9]+ and [0-9]+ both go by twin: shown as twin~[0-9a-f]{4} and twin~[0-9a-f]{4}' $D/ann.out && a=\$(sed -nE 's/.*<(twin~[0-9a-f]{4})> first twin\$/\\1/p' $D/ann.out); b=\$(sed -nE 's/.*<(twin~[0-9a-f]{4})> second twin\$/\\1/p' $D/ann.out); [ -n \"\$a\" ] && [ -n \"\$b\" ] && [ \"\$a\" != \"\$b\" ]"
	t_check "bidi overrides and zero-width characters never reach the terminal" \
		sh -c "grep -Eq '#lobby <ann> spoof [?]+gnp.exe zero[?]+width bidi[?]+x\$' $D/cat.out && ! grep -q \"\$(printf '\342\200\256')\" $D/cat.out $D/twin1.out"
	for c in ann ben cat dan twin1 twin2; do hangup $c; done
	for c in ann ben cat dan twin1 twin2; do wait_exit "${CPID[$c]}"; done
	t_check "no sanitizer report from the two-room ASan client" no_san_report "$D/cat.err"
fi

# ---- server full -----------------------------------------------------------
# (the spare relay starts first: a server started later would inherit the
# pipe to the first client's stdin and keep it from ending)
SPARE_PORT=
start_server spare && SPARE_PORT=$PORT
if start_server full --max-clients 1; then
	client first "$CLIENT" "$PORT" --nick first
	wait_for "$D/first.out" 'you joined'
	$SAN_CLIENT --nick second 127.0.0.1 "$PORT" </dev/null >"$D/second.out" 2>"$D/second.err"
	rc=$?
	t_check "server full: exit 1 with one line 'refused by the server: ...' (ASan client)" \
		sh -c "[ $rc = 1 ] && [ \$(wc -l <$D/second.err) = 1 ] && grep -q '^chat-client: refused by the server: ' $D/second.err"
	if [ -n "$SPARE_PORT" ]; then
		printf 'to the spare relay\n' | $SAN_CLIENT --nick third --server "127.0.0.1:$PORT" \
			--server "127.0.0.1:$SPARE_PORT" >"$D/third.out" 2>"$D/third.err"
		rc=$?
		t_check "a full relay first in the --server list: the client says so and goes on to the next (ASan client)" \
			sh -c "[ $rc = 0 ] && grep -q 'lost (refused by the server: .*); reconnecting to 127.0.0.1:$SPARE_PORT' $D/third.out && grep -q 'connected as third' $D/third.out"
		t_check "no sanitizer report from that client" no_san_report "$D/third.err"
	else
		t_fail "start the spare chat-server"
	fi
	hangup first
	wait_exit "${CPID[first]}"
	t_check "the connected client is unaffected and exits 0" test "$WRC" = 0
fi

# ---- misbehaving or scripted servers ---------------------------------------
FPORT=$(t_free_port)
if start_helper fake-v4 "$FAKE" "$FPORT" version4; then
	$CLIENT 127.0.0.1 "$FPORT" </dev/null >"$D/v4.out" 2>"$D/v4.err"
	rc=$?
	t_check "protocol version 4 server: exit 1, one line naming the versions" \
		sh -c "[ $rc = 1 ] && [ \$(wc -l <$D/v4.err) = 1 ] && grep -q 'protocol version 4, this client speaks 3' $D/v4.err"
fi
FPORT=$(t_free_port)
if start_helper fake-err "$FAKE" "$FPORT" error; then
	# stdin stays open: with it at EOF at once the client may be ending
	# (and no longer reading frames) before the ERROR arrives
	client err "$CLIENT" "$FPORT"
	wait_exit "${CPID[err]}"
	rc=$WRC
	hangup err
	t_check "ERROR frame: exit 1 with the server's reason" \
		sh -c "[ $rc = 1 ] && grep -q '^chat-client: server error: bad things' $D/err.err"
fi
FPORT=$(t_free_port)
if start_helper fake-linger "$FAKE" "$FPORT" linger; then
	$CLIENT --linger 4 127.0.0.1 "$FPORT" </dev/null >"$D/l1.out" 2>"$D/l1.err"
	rc=$?
	t_check "--linger 4: events after stdin EOF still shown, then exit 0" \
		sh -c "[ $rc = 0 ] && grep -Eqx '$TS \\* 42 joined' $D/l1.out"
	$CLIENT 127.0.0.1 "$FPORT" </dev/null >"$D/l0.out" 2>"$D/l0.err"
	rc=$?
	t_check "--linger 0 (default): nothing shown after stdin EOF, exit 0" \
		sh -c "[ $rc = 0 ] && ! grep -q '42 joined' $D/l0.out"
fi
FPORT=$(t_free_port)
if start_helper fake-replay "$FAKE" "$FPORT" replay; then
	printf 'one\ntwo\n' | $CLIENT --nick ra 127.0.0.1 "$FPORT" >"$D/ra.out" 2>"$D/ra.err" &
	RA=$!
	PIDS+=($RA)
	wait_for "$D/fake-replay.log" '^accepted 1' >/dev/null
	client rb "$CLIENT" "$FPORT" --nick rb
	wait_for "$D/rb.out" "cannot authenticate message from 3" >/dev/null
	wait_for "$D/rb.out" "<ra> two" >/dev/null
	hangup rb
	wait_exit "${CPID[rb]}"
	wait_exit "$RA"
	t_check "malicious relay: replayed and reordered messages are dropped, each line shown once" \
		sh -c "[ \$(grep -Ecx '$TS <ra> one' $D/rb.out) = 1 ] && [ \$(grep -Ecx '$TS <ra> two' $D/rb.out) = 1 ]"
	t_check "malicious relay: one replay warning for the sender" \
		sh -c "[ \$(grep -Ec 'dropped a replayed message from 1\$' $D/rb.out) = 1 ]"
	t_check "malicious relay: a message re-labelled with another sender id is rejected" \
		grep -Eq "$TS \\* cannot authenticate message from 3 \\(wrong room key\\?\\)" "$D/rb.out"
fi
# A relay that records a session and replays it into a "restarted" room
# to a member who joins later (11 s: beyond CLIENT_JOIN_SKEW_MS).
FPORT=$(t_free_port)
if start_helper fake-restart "$FAKE" "$FPORT" restart 11; then
	printf 'recorded one\nrecorded two\n' | $CLIENT --nick rec 127.0.0.1 "$FPORT" >"$D/rec.out" 2>&1
	wait_for "$D/fake-restart.log" '^recorded [1-9]' >/dev/null
	client late2 "$CLIENT" "$FPORT" --nick late2
	wait_for "$D/fake-restart.log" '^replayed' 300 >/dev/null
	wait_for "$D/late2.out" 'sent before you joined' >/dev/null
	hangup late2
	wait_exit "${CPID[late2]}"
	t_check "recorded traffic replayed after a server restart is never shown (sender time is authenticated)" \
		sh -c "! grep -q 'recorded' $D/late2.out && grep -Eq '$TS \\* dropped a message from 1 sent before you joined' $D/late2.out"
	t_check "... nor when the relay re-labels it as another sender" \
		grep -Eq "$TS \\* cannot authenticate message from 9" "$D/late2.out"
fi
# A relay that uses a reconnect to show a member again what it saw before
# the loss (the replay guard survives the reconnect) or what it withheld
# while the member was connected (sent 11 s before the rejoin: the
# join-time rule restarts at the rejoin, docs/e2e-encryption.md).
FPORT=$(t_free_port)
if start_helper fake-rejoin "$FAKE" "$FPORT" rejoin 11; then
	client rj "$SAN_CLIENT" "$FPORT" --nick rj
	wait_for "$D/rj.out" 'you joined'
	printf 'seen before the loss\n' | $CLIENT --nick s1 127.0.0.1 "$FPORT" >/dev/null 2>&1
	wait_for "$D/rj.out" '<s1> seen before the loss' >/dev/null
	printf 'withheld by the relay\n' | $CLIENT --nick s2 127.0.0.1 "$FPORT" >/dev/null 2>&1
	wait_for "$D/fake-rejoin.log" '^replayed' 300 >/dev/null
	wait_for "$D/rj.out" 'sent before you joined' >/dev/null
	t_check "after a reconnect, what the relay replays is not shown again (replay guard kept; ASan client)" \
		sh -c "grep -q 'reconnected to' $D/rj.out && [ \$(grep -c '<s1> seen before the loss' $D/rj.out) = 1 ] && grep -Eq '$TS \\* dropped a replayed message from 1\$' $D/rj.out"
	t_check "... nor what it withheld and delivers after the rejoin (sent > 10 s before it)" \
		sh -c "! grep -q 'withheld' $D/rj.out && grep -Eq '$TS \\* dropped a message from 3 sent before you joined' $D/rj.out"
	hangup rj
	kill -TERM "${CPID[rj]}" 2>/dev/null
	wait_exit "${CPID[rj]}"
	t_check "no sanitizer report from that client" no_san_report "$D/rj.err"
fi
# Room history (HISTORY frames): shown marked as history, even when sent
# long before the join (11 s: beyond the join-time rule), once; duplicates
# are dropped without a warning, and re-labelled ones fail.
FPORT=$(t_free_port)
if start_helper fake-history "$FAKE" "$FPORT" history 11; then
	printf 'said earlier\nand then this\n' | $CLIENT --nick hs 127.0.0.1 "$FPORT" >/dev/null 2>&1
	wait_for "$D/fake-history.log" '^recorded [1-9]' >/dev/null
	client hj "$SAN_CLIENT" "$FPORT" --nick hj
	wait_for "$D/fake-history.log" '^replayed' 300 >/dev/null
	wait_for "$D/hj.out" 'cannot authenticate message from 9' >/dev/null
	hangup hj
	wait_exit "${CPID[hj]}"
	t_check "history: messages sent before the join are shown once, marked (history), in order" \
		sh -c "[ \$(grep -Ecx '$TS \\(history\\) <hs> said earlier' $D/hj.out) = 1 ] && [ \$(grep -Ecx '$TS \\(history\\) <hs> and then this' $D/hj.out) = 1 ] && grep -A1 'said earlier' $D/hj.out | grep -q 'and then this'"
	t_check "history: a duplicate HISTORY is dropped silently (no replay warning), nothing shown unmarked" \
		sh -c "! grep -q 'dropped a replayed' $D/hj.out && ! grep -v '(history)' $D/hj.out | grep -q '<hs>'"
	t_check "history: re-labelled as another sender, it is rejected" \
		grep -Eq "$TS \\* cannot authenticate message from 9" "$D/hj.out"
	t_check "no sanitizer report from that client" no_san_report "$D/hj.err"
fi
# The server chooses nothing the keys depend on: the room id a client sends
# equals an independent derivation from the passphrase and the room name
# (hashlib's scrypt and an HMAC-based HKDF), whatever server it talks to.
FPORT=$(t_free_port)
if start_helper fake-rooms "$FAKE" "$FPORT" rooms; then
	$CLIENT --room lobby --room "dev-ops" 127.0.0.1 "$FPORT" </dev/null >/dev/null 2>&1
	CHAT_PASSPHRASE="another passphrase" $CLIENT --room lobby 127.0.0.1 "$FPORT" </dev/null >/dev/null 2>&1
	wait_exit "$HPID" 100
	t_check "room ids come from passphrase and room name only (independent derivation); another name or passphrase, another room" \
		python3 tests/integration/chat_room_id.py "$D/fake-rooms.log" \
			"$CHAT_PASSPHRASE:lobby" "$CHAT_PASSPHRASE:dev-ops" "another passphrase:lobby"
fi

# ---- terminal (tmux) -------------------------------------------------------
# tty_session NAME LABEL BINARY LOCALE: chat-client --nick tess with only
# LOCALE (e.g. LANG=C.UTF-8) of the locale variables on a tmux terminal
# (UTF-8, 120x30) beside a pipe-mode client (NAME-tom) that reads what it
# sends: a half-typed line survives incoming messages; editing in the middle;
# wide characters (CJK, emoji) edited with the cursor moving over them; a
# lone Esc then a key (the key is not swallowed) and Alt+b; Ctrl+R; a pasted
# block of lines; a 200,000-character bracketed paste (one message of
# exactly that text; the time it took is printed, not judged: see
# tests/bench/chat-paste.sh) and one a byte over the limit (a warning);
# /who, /nick; a narrower window (SIGWINCH) with a line that now wraps;
# --history-file; Ctrl+C restores the terminal and sends nothing unsent.
tm() { LC_ALL=C.UTF-8 tmux -u -L "$TMUX_SOCK" "$@"; }
# pane_wait SESSION ERE [TENTHS]: until the screen matches (default 10 s).
pane_wait() {
	local i
	for ((i = 0; i < ${3:-100}; i++)); do
		tm capture-pane -p -t "$1" | grep -Eq -- "$2" && return 0
		sleep 0.1
	done
	echo "  timed out waiting for /$2/ on the screen of $1"
	return 1
}
# last_row SESSION: the last non-empty row of the screen.
last_row() { tm capture-pane -p -t "$1" | grep -v '^$' | tail -n1; }
cursor_x() { tm display -p -t "$1" '#{cursor_x}'; }
# got NAME TEXT: NAME received a message from tess that is exactly TEXT.
got() { sed -nE "s/^$TS <tess> //p" "$D/$1.out" | grep -Fqx -- "$2"; }
# on_screen SESSION TEXT: TEXT is somewhere on the screen.
on_screen() { tm capture-pane -p -t "$1" | grep -Fq -- "$2"; }

tty_session() {
	local s=$1 label=$2 bin=$3 locale=$4 tom=$1-tom i n before t0 t1 ok
	cat >"$D/$s.sh" <<EOS
stty -g >"$D/$s.stty.before"
env -u LC_ALL -u LC_CTYPE -u LANG $locale NO_COLOR=1 $bin --nick tess --history-file $D/$s.history 127.0.0.1 $TPORT 2>"$D/$s.err"
echo "EXIT=\$?" >"$D/$s.exit"
stty -g >"$D/$s.stty.after"
sleep 60
EOS
	tm new-session -d -s "$s" -x 120 -y 30 "bash $D/$s.sh"
	pane_wait "$s" 'connected as tess' 200 && pane_wait "$s" '^tess>' >/dev/null
	tm send-keys -t "$s" -l "half typed line"
	tm send-keys -t "$s" Left Left Left Left
	pane_wait "$s" '^tess> half typed line' >/dev/null
	client "$tom" "$CLIENT" "$TPORT" --nick tom
	wait_for "$D/$tom.out" 'you joined' >/dev/null
	say "$tom" "message while typing"
	pane_wait "$s" '<tom> message while typing' >/dev/null
	sleep 0.2
	t_check "$label: incoming message shown above the line" \
		on_screen "$s" "] <tom> message while typing"
	t_check "$label: the typed line is intact on the last row, cursor where it was" \
		test "$(last_row "$s")" = "tess> half typed line" -a "$(cursor_x "$s")" = 17
	tm send-keys -t "$s" X Enter
	wait_for "$D/$tom.out" '<tess> half typed Xline$' >/dev/null
	t_check "$label: editing in the middle of the line and Enter send it" \
		got "$tom" "half typed Xline"

	# wide characters: 漢 字 😀 are two columns each
	tm send-keys -t "$s" -l "wide 漢字😀"
	tm send-keys -t "$s" Left Left
	pane_wait "$s" '^tess> wide' >/dev/null
	sleep 0.2
	t_check "$label: the cursor moves over wide characters two columns at a time" \
		test "$(last_row "$s")" = "tess> wide 漢字😀" -a "$(cursor_x "$s")" = 13
	tm send-keys -t "$s" -l "X"
	sleep 0.2
	t_check "$label: a character inserted between wide ones shows in place" \
		test "$(last_row "$s")" = "tess> wide 漢X字😀" -a "$(cursor_x "$s")" = 14
	tm send-keys -t "$s" Enter
	wait_for "$D/$tom.out" '<tess> wide' >/dev/null
	t_check "$label: the edited wide-character line arrives as typed" \
		got "$tom" "wide 漢X字😀"

	# a lone Esc, then a key after readline's keyseq-timeout (500 ms)
	tm send-keys -t "$s" Escape
	sleep 0.8
	tm send-keys -t "$s" -l "q after a lone Esc"
	tm send-keys -t "$s" Enter
	wait_for "$D/$tom.out" 'after a lone Esc$' >/dev/null
	t_check "$label: Esc alone, then a key: the key is not swallowed" \
		got "$tom" "q after a lone Esc"
	tm send-keys -t "$s" -l "one two"
	tm send-keys -t "$s" M-b
	tm send-keys -t "$s" -l "X"
	tm send-keys -t "$s" Enter
	wait_for "$D/$tom.out" '<tess> one ' >/dev/null
	t_check "$label: Alt+b (Esc b at once) still moves a word back" \
		got "$tom" "one Xtwo"

	# Ctrl+R finds an earlier line; Enter sends it again
	tm send-keys -t "$s" C-r
	tm send-keys -t "$s" -l "half"
	pane_wait "$s" "reverse-i-search.*half': half typed Xline" >/dev/null
	t_check "$label: Ctrl+R shows the earlier line it found" \
		on_screen "$s" "(reverse-i-search)\`half': half typed Xline"
	tm send-keys -t "$s" Enter
	for i in $(seq 1 100); do [ "$(count "$tom" '<tess> half typed Xline$')" -ge 2 ] && break; sleep 0.1; done
	t_check "$label: Ctrl+R then Enter sends the line found" \
		test "$(count "$tom" '<tess> half typed Xline$')" = 2

	# a pasted block of two lines: two messages
	printf 'pasted one\n/quit pasted two' >"$D/$s.block"
	tm load-buffer -b block "$D/$s.block"
	tm paste-buffer -p -b block -t "$s"
	tm send-keys -t "$s" Enter
	wait_for "$D/$tom.out" '<tess> /quit pasted two$' >/dev/null
	t_check "$label: a pasted block of lines: one message per line, a /line is text" \
		sh -c "grep -Eqx '$TS <tess> pasted one' $D/$tom.out && grep -Eqx '$TS <tess> /quit pasted two' $D/$tom.out"

	# 200,000 characters pasted (bracketed), then Enter: one message
	tm load-buffer -b big "$D/paste200k"
	before=$(count "$tom" '<tess> ')
	t0=$(date +%s.%N)
	tm paste-buffer -p -b big -t "$s"
	tm send-keys -t "$s" Enter
	for i in $(seq 1 3000); do [ "$(count "$tom" '<tess> ')" -gt "$before" ] && break; sleep 0.01; done
	t1=$(date +%s.%N)
	sleep 0.3	# anything more (a split) would show now
	echo "  $label: the 200,000-character paste arrived after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') s"
	t_check "$label: a 200,000-character paste arrives as one message of exactly that text" \
		sh -c "[ \$(grep -c '<tess> ' $D/$tom.out) = $((before + 1)) ] &&
		       sed -nE 's/^$TS <tess> //p' $D/$tom.out | tail -n1 | tr -d '\n' | cmp -s - $D/paste200k"

	# one byte over the limit: refused with a warning, nothing sent
	tm load-buffer -b toolong "$D/paste-toolong"
	tm paste-buffer -p -b toolong -t "$s"
	tm send-keys -t "$s" Enter
	pane_wait "$s" 'message too long \(261121 bytes, the maximum is 261120\): not sent' 100 >/dev/null
	t_check "$label: a paste over the limit is refused with a warning, nothing sent" \
		sh -c "tmux -L $TMUX_SOCK capture-pane -p -t $s | grep -q 'message too long (261121 bytes, the maximum is 261120): not sent' &&
		       [ \$(grep -c '<tess> ' $D/$tom.out) = $((before + 1)) ]"

	tm send-keys -t "$s" -l "/who"
	tm send-keys -t "$s" Enter
	pane_wait "$s" '2 in lobby:' >/dev/null
	t_check "$label: /who lists ids with nicks" \
		sh -c "tmux -L $TMUX_SOCK capture-pane -p -t $s | grep -Eq '2 in lobby: .*\(you, tess\).*tom'"
	tm send-keys -t "$s" -l "/nick tessa"
	tm send-keys -t "$s" Enter
	wait_for "$D/$tom.out" 'tess \([0-9]+\) is now known as tessa$' >/dev/null
	pane_wait "$s" '^tessa>' >/dev/null
	t_check "$label: /nick is announced to the room and changes the prompt" \
		sh -c "grep -Eq 'is now known as tessa\$' $D/$tom.out && [ '$(last_row "$s")' = 'tessa>' ]"
	# the window narrows (SIGWINCH): a line that now wraps is still redrawn
	# right around an incoming message
	tm send-keys -t "$s" -l "unsent $(printf 'w%.0s' $(seq 1 70))"
	pane_wait "$s" '^tessa> unsent w' >/dev/null
	tm resize-window -t "$s" -x 60 -y 30
	sleep 0.5
	w46=$(printf 'w%.0s' $(seq 1 46)) w24=$(printf 'w%.0s' $(seq 1 24))
	say "$tom" "after the resize"
	pane_wait "$s" '<tom> after the resize' >/dev/null
	sleep 0.2
	# (the terminal leaves what it made of the old rows behind, as with any
	# readline program; a client that kept the old width would also put the
	# cursor on the wrong row for Ctrl+A)
	tm send-keys -t "$s" C-a
	# (the redraw may lag under ASan on a busy host: look again, bounded)
	# The last two rows are the typed line, wrapped at the new width, and the
	# message is above it (a notice printed meanwhile may sit between).
	wrapped_ok() {
		[ "$(printf "%s\n" "$1" | grep -v "^\$" | head -n -2 | tail -n 4 | grep -c "<tom> after the resize$")" = 1 ] &&
		[ "$(printf "%s\n" "$1" | grep -v "^\$" | tail -n 2 | sed -n 1p)" = "tessa> unsent $2" ] &&
		[ "$(printf "%s\n" "$1" | grep -v "^\$" | tail -n 1)" = "$3" ]
	}
	for i in $(seq 1 50); do
		sleep 0.1
		rows=$(tm capture-pane -p -t "$s")
		wrapped_ok "$rows" "$w46" "$w24" && break
	done
	t_check "$label: after a resize the wrapped line is intact around a message" \
		wrapped_ok "$rows" "$w46" "$w24" ||
		printf '%s\n' "$rows" | grep -v '^$' | tail -n 6 | sed 's/^/  screen: /'
	t_check "$label: after a resize Ctrl+A puts the cursor at the start of the line" \
		test "$(tm display -p -t "$s" '#{cursor_x},#{cursor_y}')" = \
		"7,$(( $(printf '%s\n' "$rows" | grep -n '^tessa> unsent' | tail -n1 | cut -d: -f1) - 1 ))"
	tm send-keys -t "$s" C-c
	for i in $(seq 1 100); do [ -s "$D/$s.stty.after" ] && break; sleep 0.1; done
	t_check "$label: Ctrl+C exits 0" grep -qx 'EXIT=0' "$D/$s.exit"
	t_check "$label: Ctrl+C restores the terminal settings" cmp -s "$D/$s.stty.before" "$D/$s.stty.after"
	t_check "$label: the unsent line was not sent" sh -c "! grep -q unsent $D/$tom.out"
	t_check "$label: --history-file keeps the typed lines (mode 0600)" \
		sh -c "[ \$(stat -c %a $D/$s.history) = 600 ] && grep -Fqx 'half typed Xline' $D/$s.history &&
		       grep -Fqx 'wide 漢X字😀' $D/$s.history && grep -Fqx '/nick tessa' $D/$s.history"
	hangup "$tom"
	wait_exit "${CPID[$tom]}"
	tm kill-session -t "$s"
}

if command -v tmux >/dev/null && start_server tty; then
	TPORT=$PORT
	python3 -c "import random,sys; r=random.Random(3); sys.stdout.write(''.join(r.choice('abcdefghijklmnopqrstuvwxyz0123456789 .,;!?') for _ in range(200000)))" >"$D/paste200k"
	python3 -c "import sys; sys.stdout.write('Z' * (255*1024 + 1))" >"$D/paste-toolong"
	tty_session tty1 "tty" "$CLIENT" LANG=C.UTF-8
	# the ASan client in the C locale: UTF-8 editing all the same
	tty_session tty2 "tty (ASan+UBSan, LC_ALL=C)" "$SAN_CLIENT" LC_ALL=C
	t_check "tty (ASan+UBSan, LC_ALL=C): no sanitizer report" no_san_report "$D/tty2.err"
fi

# On a terminal while reconnecting: a typed line is refused with a notice,
# /quit ends the client at once and gives the terminal back (ASan client).
if command -v tmux >/dev/null && start_server ttyfo; then
	TFSRV=${PIDS[-1]}
	cat >"$D/ttyfo.sh" <<EOS
stty -g >"$D/ttyfo.stty.before"
NO_COLOR=1 LANG=C.UTF-8 $SAN_CLIENT --nick tina 127.0.0.1 $PORT 2>"$D/ttyfo.err"
echo "EXIT=\$?" >"$D/ttyfo.exit"
stty -g >"$D/ttyfo.stty.after"
sleep 60
EOS
	tm new-session -d -s ttyfo -x 120 -y 30 "bash $D/ttyfo.sh"
	pane_wait ttyfo '^tina>' 200 >/dev/null
	kill -KILL "$TFSRV"
	pane_wait ttyfo 'reconnecting to 127\.0\.0\.1' >/dev/null
	tm send-keys -t ttyfo -l "typed while away"
	tm send-keys -t ttyfo Enter
	pane_wait ttyfo 'not connected \(reconnecting\): not sent' >/dev/null
	t_check "tty while reconnecting: a typed line is not sent, with a notice" \
		on_screen ttyfo "not connected (reconnecting): not sent"
	tm send-keys -t ttyfo -l "/quit"
	tm send-keys -t ttyfo Enter
	wait_for "$D/ttyfo.exit" '^EXIT=' 20 >/dev/null
	t_check "tty while reconnecting: /quit ends the client within 2 s, exit 0" \
		grep -qx 'EXIT=0' "$D/ttyfo.exit"
	t_check "... and gives the terminal back as it was" \
		cmp -s "$D/ttyfo.stty.before" "$D/ttyfo.stty.after"
	t_check "... no sanitizer report" no_san_report "$D/ttyfo.err"
	tm kill-session -t ttyfo
fi

# ---- fuzz: a short run over room_open, the body codec, the display filter --
if make -s build/fuzz/fuzz_room_open >"$D/fuzz-build.log" 2>&1; then
	mkdir -p "$D/fuzz"
	build/fuzz/fuzz_room_open -max_total_time=10 -timeout=5 -artifact_prefix="$D/" \
		"$D/fuzz" tests/fuzz/corpus/room_open >"$D/fuzz.log" 2>&1
	rc=$?
	tail -n 1 "$D/fuzz.log"
	t_check "fuzz_room_open 10 s on the seed corpus: no crash, no leak" test $rc -eq 0
else
	cat "$D/fuzz-build.log"
	t_fail "build fuzz_room_open"
fi

t_summary
