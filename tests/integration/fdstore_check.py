#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""fdstore_check.py - vhost-user-crypto restarted under a service manager
that keeps its file descriptor store, graceful and after SIGKILL, with a
scripted front-end (vhost_user_frontend.py standing in for QEMU) that never
reconnects.

  fdstore_check.py BINARY TMPDIR

There is no systemd as PID 1 on the test machines, so this script plays the
service manager, as sd_notify(3) and sd_listen_fds(3) document it: a
datagram $NOTIFY_SOCKET receiving READY=1, STOPPING=1, FDSTORE=1 with
FDNAME= and the fds (SCM_RIGHTS), FDSTOREREMOVE=1 with FDNAME=; stored fds
that report POLLHUP/POLLERR dropped; on each start the stored fds passed as
fd 3.. with $LISTEN_FDS, $LISTEN_FDNAMES and $LISTEN_PID.  Checks:
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
import array
import os
import re
import select
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vhost_user_frontend import Frontend  # noqa: E402
from check_lines import check, failures  # noqa: E402
from vhost_user_stream import Stream, aes_cbc  # noqa: E402

BIN, TMP = sys.argv[1], sys.argv[2]
SOCK = os.path.join(TMP, "vu.sock")
MiB = 1 << 20
procs = []


class Manager:
    """The service manager's side of sd_notify and the fd store."""

    def __init__(self):
        self.path = os.path.join(TMP, "notify.sock")
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(self.path)
        self.store = []             # [name, fd]
        self.ready = self.stopping = 0
        self.p = None
        self.log = None
        self.runs = 0
        # the manager reads its socket all the time, as PID 1 does (a
        # daemon's sd_notify blocks when the datagram queue is full)
        self.lock = threading.RLock()
        self.running = True
        self.th = threading.Thread(target=self.loop, daemon=True)
        self.th.start()

    def loop(self):
        while self.running:
            self.pump(0.02)

    def pump(self, secs=0.0):
        with self.lock:
            self._pump(secs)

    def _pump(self, secs):
        end = time.time() + secs
        while True:
            r, _, _ = select.select([self.s], [], [], max(0, end - time.time()))
            if not r:
                break
            msg, anc, _f, _a = self.s.recvmsg(4096, socket.CMSG_SPACE(64 * 4))
            fds = array.array("i")
            for level, typ, data in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                    fds.frombytes(data[:len(data) - len(data) % 4])
            kv = dict(l.split("=", 1) for l in msg.decode().split("\n") if "=" in l)
            if kv.get("FDSTORE") == "1":
                for fd in fds:
                    self.store.append([kv.get("FDNAME", "stored"), fd])
                fds = []
            if kv.get("FDSTOREREMOVE") == "1":
                for e in [e for e in self.store if e[0] == kv.get("FDNAME")]:
                    os.close(e[1])
                    self.store.remove(e)
            if kv.get("READY") == "1":
                self.ready += 1
            if kv.get("STOPPING") == "1":
                self.stopping += 1
            for fd in fds:
                os.close(fd)
        # what systemd does with a stored fd that hung up
        for e in list(self.store):
            pl = select.poll()
            pl.register(e[1], select.POLLIN)
            if any(ev & (select.POLLHUP | select.POLLERR) for _fd, ev in pl.poll(0)):
                os.close(e[1])
                self.store.remove(e)

    def names(self):
        with self.lock:
            return sorted(re.sub(r"-\d+$", "", n) for n, _fd in self.store)

    def start(self, *args):
        self.runs += 1
        self.log_path = os.path.join(TMP, "daemon-%d.log" % self.runs)
        self.log = open(self.log_path, "wb")
        with self.lock:
            fds = [os.dup(fd) for _n, fd in self.store]
            names = [n for n, _fd in self.store]
        env = dict(os.environ, NOTIFY_SOCKET=self.path)
        if fds:
            env.update(LISTEN_FDS=str(len(fds)), LISTEN_FDNAMES=":".join(names))

        def place_fds():
            high = [os.dup(fd) for fd in fds]     # out of the way first
            for i, fd in enumerate(high):
                os.dup2(fd, 3 + i, inheritable=True)
                os.close(fd)
        # LISTEN_PID must be the daemon's pid: sh sets it and execs it
        self.p = subprocess.Popen(
            ["sh", "-c", 'LISTEN_PID=$$ exec "$0" "$@"', BIN, "--socket", SOCK, "-v",
             "--engine", "openssl", "--workers", "1"] + list(args),
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
            preexec_fn=place_fds, close_fds=False)
        for fd in fds:
            os.close(fd)
        procs.append(self.p)
        end = time.time() + 20
        while self.ready < self.runs and time.time() < end and self.p.poll() is None:
            time.sleep(0.02)
        return self.ready >= self.runs

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig):
        self.p.send_signal(sig)
        try:
            st = self.p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            st = self.p.wait()
        time.sleep(0.1)      # its last messages read
        return st


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
    m = Manager()
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
    end = time.time() + 10
    while "conn" in m.names() and time.time() < end:
        time.sleep(0.1)
    check("front-end gone: its fds left the store", m.names() == ["control", "inflight",
                                                                     "listen", "state"],
          repr(m.names()))
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
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
print("fdstore: %s" % ("all checks passed" if failures() == 0 else "%d failed" % failures()))
sys.exit(1 if failures() else 0)
