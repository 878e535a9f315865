#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""fdstore_check.py - vhost-user-crypto restarted under a service manager
that keeps its file descriptor store, graceful and after SIGKILL, with a
scripted front-end (vhost_user_frontend.py standing in for QEMU) that never
reconnects.

  fdstore_check.py BINARY TMPDIR

There is no systemd as PID 1 on the test machines: service_manager.py
plays systemd's side of sd_notify(3) and sd_listen_fds(3).  Checks:
  - nothing else changes the daemon (the store fills only with our roles);
  - SIGTERM, start again: the same sessions answer on the same ring, the
    front-end's connection never closed, new ids above the old;
  - SIGKILL under a stream of 1 MiB requests (16 in flight, --workers 1),
    start again: every request comes back exactly once, each right or (only
    those taken before the kill) with status ERR, later ones all right;
  - the front-end leaves: its fds leave the store; a start then resumes no
    front-end and listens.
Prints PASS/FAIL lines and "# " figures; exits 1 on a failure.  Every
daemon it starts is stopped before it exits.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vhost_user_frontend import Frontend  # noqa: E402
from check_lines import check, failures  # noqa: E402
from service_manager import Manager  # noqa: E402
from vhost_user_stream import Stream, aes_cbc  # noqa: E402

BIN, TMP = sys.argv[1], sys.argv[2]
SOCK = os.path.join(TMP, "vu.sock")
MiB = 1 << 20
m = None


K128 = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
K256 = bytes.fromhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
IV = bytes(range(16))
PT = bytes.fromhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51")
H = 0x3000


def one_request(fe, sid, key):
    fe.m[H + 128:H + 160] = PT
    fe.m[H + 160:H + 192] = bytes(32)
    fe.put_cbc_request(0, sid, 0x2000, H, IV, H + 128, H + 160, 32)
    fe.publish(0)
    fe.kick_ring()
    if not fe.wait_call(10) or fe.reap() != [0]:
        return False
    return fe.m[H + 112] == 0 and bytes(fe.m[H + 160:H + 192]) == aes_cbc(key, IV, PT)


def main():
    global m
    m = Manager(TMP, [BIN, "--socket", SOCK, "-v", "--engine", "openssl", "--workers", "1"])
    check("daemon starts and tells READY", m.start())
    check("the store holds the listening sockets and the state",
          m.names() == ["control", "listen", "state"], repr(m.names()))
    fe = Frontend(SOCK, timeout=30)
    fe.setup(mem=40 * MiB, num=64)
    sess = [(fe.create_cbc_session(K128), K128), (fe.create_cbc_session(K256), K256)]
    check("two sessions, both answer", all(one_request(fe, s, k) for s, k in sess))
    time.sleep(0.2)
    want = sorted(["call0", "conn", "control", "inflight", "kick0", "listen", "mem0", "state"])
    check("the store follows the connection (%s)" % " ".join(m.names()), m.names() == want)

    # ---- systemctl restart: SIGTERM, then start again
    t0 = time.time()
    st = m.stop(15)
    check("SIGTERM: exit 0", st == 0, "exit %r" % st)
    check("... STOPPING=1 sent", m.stopping == 1)
    check("... the socket file stays for the next start", os.path.exists(SOCK))
    check("restart: READY again", m.start())
    gap = (time.time() - t0) * 1000
    check("restart: the state resumed", "fd store: resumed" in m.text() and
          "0 requests in flight" in m.text(), m.text()[-600:])
    check("restart: the old sessions answer on the same ring and connection",
          all(one_request(fe, s, k) for s, k in sess))
    new = fe.create_cbc_session(K128)
    check("restart: a new session id (%d) above the old ones" % new,
          new > max(s for s, _k in sess))
    sess.append((new, K128))
    print("# graceful restart: %.0f ms from SIGTERM to READY of the next daemon" % gap)

    # ---- a crash under load
    stream = Stream(fe, [(s, k, True) for s, k in sess])
    crash = {}

    def kill_and_restart():
        time.sleep(0.5)
        stream.crashed()
        crash["st"] = m.stop(9)
        crash["t0"] = time.time()
        crash["ok"] = m.start()
        crash["ms"] = (time.time() - crash["t0"]) * 1000
    stream.run(1.5, kill_and_restart)
    failed_n = re.search(r"(\d+) requests in\s+flight", m.text())
    print("# crash: %d requests of 1 MiB completed, %d answered ERR (in flight at "
          "the SIGKILL), restart to READY %.0f ms" %
          (stream.done, stream.failed, crash.get("ms", -1)))
    check("SIGKILL: killed", crash.get("st") == -9, repr(crash.get("st")))
    check("after the crash: READY again", crash.get("ok"))
    check("after the crash: the state resumed", "fd store: resumed" in m.text(), m.text()[-600:])
    check("after the crash: every request came back (%d submitted)" % stream.n,
          not stream.out and stream.done == stream.n, "%d outstanding" % len(stream.out))
    check("after the crash: none came back twice", stream.dup == 0, "%d" % stream.dup)
    check("after the crash: none wrong, none of the later ones failed", stream.wrong == 0,
          "%d" % stream.wrong)
    check("after the crash: the daemon counted the ones it failed (%s) as the stream did (%d)"
          % (failed_n.group(1) if failed_n else "?", stream.failed),
          failed_n is not None and int(failed_n.group(1)) == stream.failed)
    check("after the crash: the sessions answer", all(one_request(fe, s, k) for s, k in sess))

    # ---- the front-end leaves: nothing of it is kept
    fe.s.close()
    # the daemon removes each fd with its own FDSTOREREMOVE message, which
    # the manager takes one at a time: wait for all of them, not the first
    kept = ["control", "inflight", "listen", "state"]
    end = time.time() + 10
    while m.names() != kept and time.time() < end:
        time.sleep(0.1)
    check("front-end gone: its fds left the store", m.names() == kept, repr(m.names()))
    check("SIGTERM: exit 0", m.stop(15) == 0)
    check("a start then resumes no front-end and listens", m.start() and
          "(no front-end" in m.text() and Frontend(SOCK).features() > 0, m.text()[-400:])
    logs = "".join(open(os.path.join(TMP, f), "rb").read().decode(errors="replace")
                   for f in os.listdir(TMP) if f.startswith("daemon-"))
    check("no sanitizer report", "Sanitizer" not in logs and "runtime error" not in logs)
    check("last daemon: SIGTERM exits 0", m.stop(15) == 0)


try:
    main()
except Exception as e:
    import traceback
    traceback.print_exc()
    check("fd store checks ran to the end", False, repr(e))
finally:
    if m:
        m.kill_all()
print("fdstore: %s" % ("all checks passed" if failures() == 0 else "%d failed" % failures()))
sys.exit(1 if failures() else 0)
