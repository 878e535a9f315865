#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""takeover_check.py - vhost-user-crypto --takeover over a scripted
front-end (tests/integration/vhost_user_frontend.py standing in for QEMU).

  takeover_check.py BINARY TMPDIR [--quick]

Starts a daemon on TMPDIR/vu.sock and, on one front-end connection that
never reconnects:
  - sessions made before a takeover keep working after it (known answers
    checked against OpenSSL's libcrypto through ctypes), a closed one stays
    closed, new session ids are above every earlier one;
  - misbehaving successors (one that connects and says nothing, one that
    sends garbage, one that dies after BEGIN, one that reads the whole
    state and sends ABORT, one that never answers: unless --quick, one of
    another uid, a real one refusing the state for --max-sessions) leave
    the running daemon serving;
  - a stream of 1 MiB requests on 16 slots of the ring, each checked, runs
    across three takeovers in a row: no request lost, none completed
    twice, none wrong, requests were in flight at some takeover;
  - the last daemon exits 0 on SIGTERM and removes both sockets.
Prints PASS/FAIL lines, "# ..." figures, and exits 1 on any failure.  Every
daemon it starts is stopped before it exits.
"""
import os
import re
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vhost_user_frontend import Frontend, GET_VRING_BASE  # noqa: E402
from check_lines import check, failures  # noqa: E402
from vhost_user_stream import Stream, aes_cbc  # noqa: E402

BIN, TMP = sys.argv[1], sys.argv[2]
QUICK = "--quick" in sys.argv[3:]
SOCK = os.path.join(TMP, "vu.sock")
CTL = SOCK + ".takeover"
MiB = 1 << 20
daemons = []

# ---------------------------------------------------------------- helpers
class Daemon:
    n = 0

    def __init__(self, *args, takeover=False):
        Daemon.n += 1
        self.log_path = os.path.join(TMP, "daemon-%d.log" % Daemon.n)
        self.log = open(self.log_path, "wb")
        cmd = [BIN, "--socket", SOCK, "-v"] + list(args)
        if takeover:
            cmd.append("--takeover")
        self.p = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        daemons.append(self)

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_log(self, pattern, secs=20):
        end = time.time() + secs
        while time.time() < end:
            m = re.search(pattern, self.text())
            if m:
                return m
            if self.p.poll() is not None:
                return re.search(pattern, self.text())
            time.sleep(0.02)
        return None

    def alive(self):
        return self.p.poll() is None

    def exit_status(self, secs=30):
        try:
            return self.p.wait(timeout=secs)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.alive():
            self.p.terminate()
            if self.exit_status(10) is None:
                self.p.kill()
                self.p.wait()


def start_first():
    d = Daemon("--engine", "openssl", "--workers", "1")
    end = time.time() + 10
    while not (os.path.exists(SOCK) and os.path.exists(CTL)) and time.time() < end:
        time.sleep(0.02)
    return d


def take_over(old, *args):
    """A real successor; returns (new daemon, pause ms, in flight) or None."""
    new = Daemon(*args, takeover=True)
    st = old.exit_status(30)
    m = new.wait_log(r"after a pause of ([0-9.]+) ms")
    f = re.findall(r"finishing (\d+) requests in flight", old.text())
    if st != 0 or not m or not new.alive():
        check("takeover by a successor", False,
              "old exit %r, new log:\n%s" % (st, new.text()[-2000:]))
        return None
    return new, float(m.group(1)), int(f[-1]) if f else -1


K128 = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
K256 = bytes.fromhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
IV = bytes(range(16))
PT = bytes.fromhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51")
H = 0x3000          # header slot of the single requests
BUF = 2 * MiB       # stream buffers


def one_request(fe, sid, key, encrypt=True, length=32):
    """One request on head 0; returns (status, result bytes)."""
    fe.m[H + 128:H + 128 + length] = PT[:length] if encrypt else aes_cbc(key, IV, PT[:length])
    fe.m[H + 160:H + 160 + length] = bytes(length)
    fe.put_cbc_request(0, sid, 0x2000, H, IV, H + 128, H + 160, length,
                       opcode=0 if encrypt else 1)
    fe.publish(0)
    fe.kick_ring()
    if not fe.wait_call(10):
        return None, None
    heads = fe.reap()
    if heads != [0]:
        return "heads %r" % heads, None
    return fe.m[H + 112], bytes(fe.m[H + 160:H + 160 + length])


def sessions_answer(fe, sess, tag):
    ok = True
    for sid, key, enc in sess:
        st, out = one_request(fe, sid, key, enc)
        want = aes_cbc(key, IV, PT) if enc else PT
        ok &= check("%s: session %d (%s, %d-bit) answers correctly" %
                    (tag, sid, "encrypt" if enc else "decrypt", 8 * len(key)),
                    st == 0 and out == want, "status %r" % (st,))
    return ok


# ---------------------------------------------------------------- fake successors
HO_HDR = struct.Struct("<IHHII")
MAGIC = 0x48435556
T_HELLO, T_BEGIN, T_END, T_ABORT = 1, 2, 7, 10


def ctl_connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(20)
    s.connect(CTL)
    return s


def hello(s, pid=None):
    s.send(HO_HDR.pack(MAGIC, 1, T_HELLO, 8, 0) + struct.pack("<II", pid or os.getpid(), 0))


def read_record(s):
    """(type, body) of the next record, its fds closed; None at EOF."""
    try:
        data, anc, _flags, _addr = s.recvmsg(4096, socket.CMSG_SPACE(3 * 4))
    except ConnectionResetError:
        return None
    for level, typ, cdata in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            for fd in struct.unpack("%di" % (len(cdata) // 4), cdata[:len(cdata) // 4 * 4]):
                os.close(fd)
    if not data:
        return None
    _m, _v, typ, blen, _n = HO_HDR.unpack(data[:16])
    return typ, data[16:16 + blen]


def read_state(s):
    """Read BEGIN .. END; the list of record types."""
    types = []
    while True:
        r = read_record(s)
        if r is None:
            return types
        types.append(r[0])
        if r[0] in (T_END, T_ABORT):
            return types


def abort(s, why=b"test successor gives up"):
    s.send(HO_HDR.pack(MAGIC, 1, T_ABORT, len(why), 0) + why)


def as_nobody(fn):
    """Run fn in a child process as uid/gid 65534: its exit status (0: fn
    returned, 1: it raised)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(65534)
            os.setuid(65534)
            fn()
            os._exit(0)
        except BaseException:
            os._exit(1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def misbehaving_successors(d, fe, sess):
    # connects, says nothing: the daemon does not pause for it
    s = ctl_connect()
    sessions_answer(fe, sess[:1], "an idle control connection open")
    s.close()
    # garbage instead of HELLO
    s = ctl_connect()
    s.send(b"\x00" * 24)
    r = read_record(s)
    check("garbage HELLO: ABORT with the reason", r is not None and r[0] == T_ABORT and
          b"bad magic" in r[1], repr(r))
    check("... and the connection closed", read_record(s) is None)
    s.close()
    sessions_answer(fe, sess[:1], "after a garbage HELLO")
    # a successor speaking another handover version is told so
    s = ctl_connect()
    s.send(HO_HDR.pack(MAGIC, 2, T_HELLO, 8, 0) + struct.pack("<II", os.getpid(), 0))
    r = read_record(s)
    check("HELLO of handover version 2: ABORT saying so", r is not None and r[0] == T_ABORT and
          b"version 2" in r[1], repr(r))
    s.close()
    # dies after BEGIN
    s = ctl_connect()
    hello(s)
    r = read_record(s)
    check("a successor gets BEGIN first", r is not None and r[0] == T_BEGIN)
    s.close()
    check("successor died after BEGIN: the daemon serves on",
          d.wait_log(r"takeover by pid \d+ failed .*serving on") is not None)
    sessions_answer(fe, sess, "after a successor died mid-takeover")
    # reads everything, then ABORT
    s = ctl_connect()
    hello(s)
    types = read_state(s)
    check("the whole state comes: BEGIN, CONN, 8 REGION/QUEUE..., SESSION x %d, END" % len(sess),
          types[:2] == [T_BEGIN, 3] and types[-1] == T_END and types.count(6) == len(sess),
          repr(types))
    abort(s)
    time.sleep(0.1)
    s.close()
    check("successor sent ABORT: the daemon serves on",
          d.wait_log(r"successor refused: test successor gives up") is not None)
    sessions_answer(fe, sess, "after an ABORT")
    if not QUICK:
        # reads everything, never answers: the daemon waits out its 3 s
        s = ctl_connect()
        hello(s)
        read_state(s)
        t0 = time.time()
        r = read_record(s)
        waited = time.time() - t0
        check("silent successor: ABORT after the daemon's deadline (%.1f s)" % waited,
              r is not None and r[0] == T_ABORT and 1 < waited < 6)
        s.close()
        sessions_answer(fe, sess[:1], "after a silent successor")
    if os.geteuid() == 0:
        # another uid: the 0600 socket refuses it, and SO_PEERCRED too
        # (the directory opened for the test, so that only those two count)
        os.chmod(TMP, 0o711)
        check("another uid cannot connect to the 0600 control socket",
              as_nobody(lambda: ctl_connect().close()) != 0)
        os.chmod(CTL, 0o666)

        def hello_as_nobody():
            s = ctl_connect()       # connects: the file is 0666 now
            try:
                hello(s)
                s.settimeout(5)
                if s.recv(4096) != b"":
                    os._exit(2)     # the daemon answered
            except ConnectionError:
                pass                # closed on us: refused
        rc = as_nobody(hello_as_nobody)
        os.chmod(CTL, 0o600)
        os.chmod(TMP, 0o700)
        check("another uid on an opened socket: refused by SO_PEERCRED",
              rc == 0 and d.wait_log(r"of another user refused") is not None, "child %d" % rc)
        sessions_answer(fe, sess[:1], "after another uid tried")
    # a real successor that cannot hold the sessions refuses the state
    bad = Daemon("--max-sessions", "1", takeover=True)
    st = bad.exit_status(30)
    check("successor with --max-sessions 1 < %d sessions exits 1" % len(sess), st == 1,
          bad.text()[-500:])
    check("... saying why", "--max-sessions 1 is below the %d sessions" % len(sess) in bad.text())
    check("... and the running daemon serves on", d.alive() and
          d.wait_log(r"successor refused: --max-sessions 1") is not None)
    sessions_answer(fe, sess, "after a refusing successor")


def main():
    d = start_first()
    check("daemon starts with both sockets", os.path.exists(SOCK) and os.path.exists(CTL) and
          (os.stat(CTL).st_mode & 0o777) == 0o600)
    fe = Frontend(SOCK, timeout=30)
    fe.setup(mem=40 * MiB, num=64)
    sess = [(fe.create_cbc_session(K128), K128, True),
            (fe.create_cbc_session(K256), K256, True),
            (fe.create_cbc_session(K128, direction=2), K128, False)]
    ids = [s[0] for s in sess]
    check("three sessions created", all(i > 0 for i in ids), repr(ids))
    sessions_answer(fe, sess, "before any takeover")

    misbehaving_successors(d, fe, sess)

    # ---- one takeover with the ring idle
    r = take_over(d)
    if not r:
        return
    d, pause, _f = r
    print("# takeover with the ring idle: pause %.2f ms" % pause)
    check("takeover: predecessor exited 0, successor serves", True)
    sessions_answer(fe, sess, "after a takeover")
    new = fe.create_cbc_session(K128)
    check("a new session's id (%d) is above every earlier one" % new, new > max(ids))
    ids.append(new)
    check("closing a session made before the takeover", fe.close_session(sess[1][0]))
    st, _o = one_request(fe, sess[1][0], K256)
    check("a request on the closed session gets INVSESS", st == 4, "status %r" % (st,))
    sess = [sess[0], sess[2], (new, K128, True)]
    sessions_answer(fe, sess, "after the close")

    # ---- three takeovers under a stream of 1 MiB requests
    stream = Stream(fe, [s for s in sess if s[2]])
    pauses, inflight = [], []
    state = {"d": d}

    def takeovers():
        # Three takeovers, and up to five more while none has yet caught a
        # request in flight (on a loaded host the ring can be momentarily
        # empty at the pause; the test must still see the busy case).
        for i in range(8):
            if i >= 3 and max(inflight) > 0:
                return
            time.sleep(0.4 if i < 3 else 0.1 * (i - 1))
            r = take_over(state["d"])
            if not r:
                return
            state["d"], p, f = r
            pauses.append(p)
            inflight.append(f)
    stream.run(1.5, takeovers)
    d = state["d"]
    print("# stream: %d requests of 1 MiB completed across %d takeovers; pauses %s ms; "
          "in flight at each pause %s" % (stream.done, len(pauses),
                                          ", ".join("%.1f" % p for p in pauses), inflight))
    check("three takeovers under load", len(pauses) >= 3, "%d" % len(pauses))
    check("stream: every request completed (%d submitted)" % stream.n,
          not stream.out and stream.done == stream.n, "%d outstanding" % len(stream.out))
    check("stream: no completion twice", stream.dup == 0, "%d repeated" % stream.dup)
    check("stream: every result right", stream.wrong == 0, "%d wrong" % stream.wrong)
    check("stream: requests were in flight when a daemon paused", max(inflight or [0]) > 0,
          repr(inflight))
    sessions_answer(fe, sess, "after the takeovers under load")
    new2 = fe.create_cbc_session(K256)
    check("ids never repeat across %d daemons (%d > %d)" % (Daemon.n, new2, max(ids)),
          new2 > max(ids))
    fe.send(GET_VRING_BASE, struct.pack("<II", 0, 0))
    base = struct.unpack("<II", fe.recv(GET_VRING_BASE))
    check("GET_VRING_BASE after the takeovers is the driver's avail index (%d)" % fe.avail_idx,
          base == (0, fe.avail_idx), repr(base))
    logs = "".join(x.text() for x in daemons)
    check("no daemon found a ring with requests never completed, or a corrupt ring",
          "never completed" not in logs and "corrupt" not in logs)
    check("no sanitizer report", "Sanitizer" not in logs and "runtime error" not in logs)
    d.p.terminate()
    check("last daemon: SIGTERM exits 0", d.exit_status(10) == 0)
    check("both sockets removed", not os.path.exists(SOCK) and not os.path.exists(CTL))


try:
    main()
except Exception as e:  # a broken step is a failure, not a crash of the suite
    import traceback
    traceback.print_exc()
    check("takeover checks ran to the end", False, repr(e))
finally:
    for x in daemons:
        x.stop()
print("takeover: %s" % ("all checks passed" if failures() == 0 else "%d failed" % failures()))
sys.exit(1 if failures() else 0)
