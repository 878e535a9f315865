#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# suite-25-chat-federation.sh - chat-server relays federated over NATS
# (issue 15 sections 1 and 4; docs/federation.md).
#
# Owns: the unit tests of the federation pieces that need no NATS
# (tests/unit/test_federation.c), the scenarios of
# tests/integration/chat_federation_check.py with the plain and the
# ASan+UBSan chat-server (a 3-node nats-server cluster on 127.0.0.1 and
# three or four relays, all on free ports, all started and stopped by the
# script: messages both ways exactly once in order, WHO and presence across
# relays, a relay killed, a NATS node killed, NATS down at relay start,
# malformed and forged messages published on NATS, real chat-clients on two
# relays, a chat-client failing over from a killed relay to the other,
# room history kept in JetStream and replayed to late joiners, also after
# the NATS node leading a 3-replica stream was killed) and
# a short fuzz run of the federation message parser.
# Expects `make all tests` and `make SAN=1 all tests` (tests/run-all does).
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh

CHECK=tests/integration/chat_federation_check.py
LOGS=build/test-logs/chat-federation
mkdir -p "$LOGS"

t_cmocka "test_federation" build/test_federation
t_cmocka "test_federation (ASan+UBSan)" build/san/test_federation

# scenarios BUILD_DIR LABEL SCENARIO...: one PASS/FAIL of ours per check.
scenarios() {
	local build=$1 label=$2 line
	shift 2
	timeout 300 python3 "$CHECK" "$build" "$@" >"$LOGS/$label.log" 2>&1
	while IFS= read -r line; do
		case $line in
		"PASS "*) t_pass "$label: ${line#PASS }" ;;
		"FAIL "*) t_fail "$label: ${line#FAIL }" ;;
		*" passed, "*" failed") ;;
		*) printf '%s\n' "$line" ;;
		esac
	done <"$LOGS/$label.log"
	grep -qE '^[0-9]+ passed, 0 failed$' "$LOGS/$label.log" ||
		t_fail "$label: scenarios ran to the end without a failure"
}

if command -v nats-server >/dev/null; then
	scenarios build plain all clients failover history replicas
	scenarios build/san asan all failover history
else
	t_fail "nats-server is not installed (tools/install-deps)"
fi

# ---- fuzz: a short run of the federation parser on its seed corpus ------
t_fuzz fuzz_fed_wire build/fuzz/fuzz_fed_wire tests/fuzz/corpus/fed_wire 10 "$LOGS"

t_summary
