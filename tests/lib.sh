# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lib.sh - shared helpers for the shell test suites (source it).
#
# Every suite counts its checks with t_pass/t_fail and ends with t_summary,
# which prints the closing line "N passed, N failed" that tests/run-all sums
# and CI reads.  t_cmocka runs a cmocka binary and adds its counts.
T_PASSED=0
T_FAILED=0

t_pass() { T_PASSED=$((T_PASSED + 1)); printf 'PASS %s\n' "$*"; }
t_fail() { T_FAILED=$((T_FAILED + 1)); printf 'FAIL %s\n' "$*"; }

# t_check NAME COMMAND... : pass if COMMAND exits 0.
t_check() {
	local name=$1; shift
	if "$@"; then t_pass "$name"; else t_fail "$name (exit $?)"; fi
}

# t_cmocka NAME BINARY [ARGS...] : run a cmocka test binary, add its counts.
t_cmocka() {
	local name=$1; shift
	local out rc p f
	out=$("$@" 2>&1); rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' | tail -n1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' | tail -n1)
	p=${p:-0}; f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	T_PASSED=$((T_PASSED + p)); T_FAILED=$((T_FAILED + f))
	printf '%s: %d passed, %d failed\n' "$name" "$p" "$f"
}

t_summary() {
	printf '%d passed, %d failed\n' "$T_PASSED" "$T_FAILED"
	[ "$T_FAILED" -eq 0 ]
}

# t_free_port: print a TCP port on 127.0.0.1 that is free right now.
t_free_port() {
	python3 - <<'PY' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

# t_wait_port PORT [TENTHS]: until something accepts on 127.0.0.1:PORT, at
# most TENTHS tenths of a second (default 100); 1 if nothing did.
t_wait_port() {
	local i
	for i in $(seq 1 "${2:-100}"); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1).close()" \
			2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# t_fuzz NAME TARGET CORPUS SECONDS LOGDIR: build a libFuzzer target (make
# TARGET), run it SECONDS on a scratch copy of the seed corpus CORPUS, one
# check that it found no crash.
t_fuzz() {
	local name=$1 target=$2 corpus=$3 secs=$4 logs=$5 work rc
	if ! make -s "$target" >"$logs/$name-build.log" 2>&1; then
		cat "$logs/$name-build.log"
		t_fail "build $name"
		return
	fi
	work=$(mktemp -d)
	"$target" -max_total_time="$secs" -timeout=5 "$work" "$corpus" >"$logs/$name.log" 2>&1
	rc=$?
	rm -rf "$work"
	tail -n 2 "$logs/$name.log"
	t_check "$name $secs s on the seed corpus: no crash" test $rc -eq 0
}
