#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# suite-30-chat-client.sh - chat-client and its end-to-end encryption.
#
# Owns: the client-side checks of issue 2 section 7: room crypto, line
# editor and display filter unit tests (plain and ASan+UBSan), then
# integration on 127.0.0.1 with build/chat-server: clients talking, wrong
# passphrase, a bit flipped on the wire (tests/integration/chat_flip_proxy.py),
# large and oversized messages, --linger, server full; against
# tests/integration/chat_fake_server.py: another protocol version, an ERROR
# frame, --linger timing, replayed and re-attributed messages; a terminal
# test in tmux (typed line survives incoming messages, /who, /nick, Ctrl+C
# restores the terminal); a short fuzz run.  Every wait is bounded; every
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
client() {
	local name=$1 bin=$2 port=$3 fd
	shift 3
	mkfifo "$D/$name.in"
	# (the other clients' pipe ends are closed in the child, so that each
	# client sees EOF as soon as its own pipe is hung up)
	(
		for fd in "${FD[@]}"; do eval "exec $fd>&-"; done
		exec "$bin" "$@" 127.0.0.1 "$port" <"$D/$name.in" >"$D/$name.out" 2>"$D/$name.err"
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
t_cmocka "test_client_lineedit" build/test_client_lineedit
t_cmocka "test_client_lineedit (ASan+UBSan)" build/san/test_client_lineedit
t_cmocka "test_client_fmt" build/test_client_fmt
t_cmocka "test_client_fmt (ASan+UBSan)" build/san/test_client_fmt

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
if start_server full --max-clients 1; then
	client first "$CLIENT" "$PORT" --nick first
	wait_for "$D/first.out" 'you joined'
	$SAN_CLIENT --nick second 127.0.0.1 "$PORT" </dev/null >"$D/second.out" 2>"$D/second.err"
	rc=$?
	t_check "server full: exit 1 with one line 'refused by the server: ...' (ASan client)" \
		sh -c "[ $rc = 1 ] && [ \$(wc -l <$D/second.err) = 1 ] && grep -q '^chat-client: refused by the server: ' $D/second.err"
	hangup first
	wait_exit "${CPID[first]}"
	t_check "the connected client is unaffected and exits 0" test "$WRC" = 0
fi

# ---- misbehaving or scripted servers ---------------------------------------
FPORT=$(t_free_port)
if start_helper fake-v3 "$FAKE" "$FPORT" version3; then
	$CLIENT 127.0.0.1 "$FPORT" </dev/null >"$D/v3.out" 2>"$D/v3.err"
	rc=$?
	t_check "protocol version 3 server: exit 1, one line naming the versions" \
		sh -c "[ $rc = 1 ] && [ \$(wc -l <$D/v3.err) = 1 ] && grep -q 'protocol version 3, this client speaks 2' $D/v3.err"
fi
FPORT=$(t_free_port)
if start_helper fake-err "$FAKE" "$FPORT" error; then
	$CLIENT 127.0.0.1 "$FPORT" </dev/null >"$D/err.out" 2>"$D/err.err"
	rc=$?
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
if command -v tmux >/dev/null && start_server tty; then
	TPORT=$PORT
	cat >"$D/tty.sh" <<EOF
stty -g >"$D/stty.before"
NO_COLOR=1 $CLIENT --nick tess 127.0.0.1 $TPORT 2>"$D/tty.err"
echo "EXIT=\$?" >"$D/tty.exit"
stty -g >"$D/stty.after"
sleep 60
EOF
	tmux -L "$TMUX_SOCK" new-session -d -x 120 -y 30 "bash $D/tty.sh"
	pane() { tmux -L "$TMUX_SOCK" capture-pane -p -t 0; }
	for i in $(seq 1 100); do pane | grep -q 'connected as tess' && break; sleep 0.1; done
	for i in $(seq 1 50); do pane | grep -q '^tess> ' && break; sleep 0.1; done
	tmux -L "$TMUX_SOCK" send-keys -t 0 -l "half typed line"
	tmux -L "$TMUX_SOCK" send-keys -t 0 Left Left Left Left
	for i in $(seq 1 50); do pane | grep -q '^tess> half typed line' && break; sleep 0.1; done
	client tom "$CLIENT" "$TPORT" --nick tom
	wait_for "$D/tom.out" 'you joined' >/dev/null
	say tom "message while typing"
	for i in $(seq 1 100); do pane | grep -q '<tom> message while typing' && break; sleep 0.1; done
	sleep 0.2
	screen=$(pane)
	last=$(printf '%s\n' "$screen" | grep -v '^$' | tail -n1)
	cx=$(tmux -L "$TMUX_SOCK" display -p -t 0 '#{cursor_x}')
	t_check "tty: incoming message shown above the line" \
		sh -c "printf '%s\n' \"\$1\" | grep -Eq '$TS <tom> message while typing'" _ "$screen"
	t_check "tty: the typed line is intact on the last row, cursor where it was" \
		test "$last" = "tess> half typed line" -a "$cx" = 17
	tmux -L "$TMUX_SOCK" send-keys -t 0 X Enter
	wait_for "$D/tom.out" '<tess> half typed Xline$' >/dev/null
	t_check "tty: editing in the middle of the line and Enter send it" \
		grep -Eqx "$TS <tess> half typed Xline" "$D/tom.out"
	tmux -L "$TMUX_SOCK" send-keys -t 0 -l "/who"
	tmux -L "$TMUX_SOCK" send-keys -t 0 Enter
	for i in $(seq 1 50); do pane | grep -q '2 connected:' && break; sleep 0.1; done
	t_check "tty: /who lists ids with nicks" sh -c "printf '%s' \"\$1\" | grep -Eq '2 in lobby: .*(you, tess).*tom'" _ "$(pane)"
	tmux -L "$TMUX_SOCK" send-keys -t 0 -l "/nick tessa"
	tmux -L "$TMUX_SOCK" send-keys -t 0 Enter
	wait_for "$D/tom.out" 'tess \([0-9]+\) is now known as tessa$' >/dev/null
	t_check "tty: /nick is announced to the room" grep -Eq 'is now known as tessa$' "$D/tom.out"
	tmux -L "$TMUX_SOCK" send-keys -t 0 -l "unsent"
	tmux -L "$TMUX_SOCK" send-keys -t 0 C-c
	for i in $(seq 1 50); do [ -s "$D/stty.after" ] && break; sleep 0.1; done
	t_check "tty: Ctrl+C exits 0" grep -qx 'EXIT=0' "$D/tty.exit"
	t_check "tty: Ctrl+C restores the terminal settings" cmp -s "$D/stty.before" "$D/stty.after"
	t_check "tty: the unsent line was not sent" sh -c "! grep -q unsent $D/tom.out"
	hangup tom
	wait_exit "${CPID[tom]}"
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
