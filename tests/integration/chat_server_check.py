#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""chat_server_check.py - scripted clients that check chat-server over TCP.

Owns: one scenario per subcommand (run by tests/suite-20-chat-server.sh
against a server it started on 127.0.0.1); each exits 0 when every check
held and prints what differed otherwise.  Speaks the frames of
docs/protocol.md directly (no chat-client), so it can also send what a
correct client never would.  Does not own: starting or stopping servers.
Every wait is bounded (socket timeouts), never a timing assertion.
"""
import os
import resource
import selectors
import socket
import struct
import sys
import threading
import time

VERSION = 1
T_SEND, T_WHO = 0x01, 0x02
T_WELCOME, T_JOINED, T_LEFT, T_RELAY = 0x81, 0x82, 0x83, 0x84
T_WHO_REPLY, T_REFUSED, T_ERROR = 0x85, 0x86, 0x87
LEAVE_QUIT, LEAVE_SLOW, LEAVE_ERROR, LEAVE_SHUTDOWN = 0, 1, 2, 3
ERR_FULL, ERR_VERSION, ERR_MALFORMED, ERR_TOO_BIG, ERR_SLOW, ERR_SHUTDOWN = range(1, 7)
MAX_PAYLOAD = 256 * 1024
MAX_MSG = MAX_PAYLOAD - 12
TIMEOUT = 10.0

HOST = "127.0.0.1"
PORT = 0
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("  check failed: " + what, flush=True)
    return cond


def frame(ftype, payload=b"", version=VERSION, flags=0, length=None):
    if length is None:
        length = len(payload)
    return struct.pack(">BBHI", version, ftype, flags, length) + payload


class Peer:
    """One connection with a receive buffer and frame reader."""

    def __init__(self, rcvbuf=None, host=None, family=socket.AF_INET):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect((host or HOST, PORT))
        self.buf = b""
        self.id = None
        self.salt = None

    def send(self, data):
        self.sock.sendall(data)

    def say(self, msg):
        self.send(frame(T_SEND, msg))

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                return False
            self.buf += chunk
        return True

    def read(self):
        """Next frame as (type, payload), or None at EOF/reset."""
        try:
            if not self._fill(8):
                return None
            ver, ftype, flags, length = struct.unpack(">BBHI", self.buf[:8])
            assert ver == VERSION and flags == 0, "bad header from server"
            if not self._fill(8 + length):
                return None
        except (ConnectionResetError, socket.timeout):
            return None
        payload = self.buf[8:8 + length]
        self.buf = self.buf[8 + length:]
        return ftype, payload

    def expect(self, want_type, skip=(T_JOINED, T_LEFT)):
        """Next frame of want_type, skipping notices listed in skip."""
        while True:
            f = self.read()
            if f is None:
                return None
            if f[0] == want_type:
                return f[1]
            if f[0] not in skip:
                check(False, "expected type 0x%02x, got 0x%02x" % (want_type, f[0]))
                return None

    def welcome(self):
        p = self.expect(T_WELCOME, skip=())
        if p is None or not check(len(p) == 24, "WELCOME payload is 24 bytes"):
            return None
        self.id, clients = struct.unpack(">II", p[:8])
        self.salt = p[8:]
        return clients

    def at_eof(self):
        """True when the server closed this connection (after any frames)."""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def relay(payload):
    sender, ms = struct.unpack(">IQ", payload[:12])
    return sender, ms, payload[12:]


def notice(payload):
    ident, ms = struct.unpack(">IQ", payload[:12])
    return ident, ms, (payload[12] if len(payload) > 12 else None)


def now_ms():
    return int(time.time() * 1000)


def expect_left(peer, ident, reason):
    """Read until LEFT for ident; check its reason."""
    while True:
        f = peer.read()
        if not check(f is not None, "LEFT for %d arrives" % ident):
            return
        if f[0] == T_LEFT and notice(f[1])[0] == ident:
            check(notice(f[1])[2] == reason,
                  "LEFT reason %s == %d" % (notice(f[1])[2], reason))
            return


def still_talk(a, b, tag):
    """a says something, b gets it as a RELAY from a."""
    msg = b"still-talking-" + tag.encode()
    a.say(msg)
    p = b.expect(T_RELAY)
    check(p is not None and relay(p)[0] == a.id and relay(p)[2] == msg,
          "after %s: relay between bystanders" % tag)


# ---- scenarios -------------------------------------------------------------

def sc_basic():
    a = Peer()
    check(a.welcome() == 1, "first client sees clients=1")
    b = Peer()
    check(b.welcome() == 2, "second client sees clients=2")
    check(a.salt == b.salt and len(set(a.salt)) > 1, "same random room salt")
    check(a.id != b.id and a.id and b.id, "distinct non-zero ids")
    p = a.expect(T_JOINED, skip=())
    check(p is not None and notice(p)[0] == b.id, "JOINED for b reaches a")
    check(p is not None and abs(notice(p)[1] - now_ms()) < 60000, "JOINED has unix ms")
    c = Peer()
    c.welcome()
    for x in (a, b):
        p = x.expect(T_JOINED, skip=())
        check(p is not None and notice(p)[0] == c.id, "JOINED for c")
    a.say(b"\x00\xffopaque bytes")
    for x in (b, c):
        p = x.expect(T_RELAY, skip=())
        check(p is not None and relay(p)[0] == a.id and relay(p)[2] == b"\x00\xffopaque bytes",
              "RELAY carries sender id and the same bytes")
    # WHO: the sender's own message did not come back before the reply.
    a.send(frame(T_WHO))
    p = a.expect(T_WHO_REPLY, skip=())
    if check(p is not None, "WHO_REPLY"):
        n = struct.unpack(">I", p[:4])[0]
        ids = set(struct.unpack(">%dI" % n, p[4:]))
        check(ids == {a.id, b.id, c.id}, "WHO lists the three ids")
    # A message split into single bytes is reassembled.
    msg = frame(T_SEND, b"split" * 10)
    for i in range(len(msg)):
        b.send(msg[i:i + 1])
    for x in (a, c):
        p = x.expect(T_RELAY, skip=())
        check(p is not None and relay(p)[2] == b"split" * 10, "byte-by-byte SEND relayed")
    # Several frames in one write.
    c.send(frame(T_SEND, b"one") + frame(T_SEND, b"two") + frame(T_WHO))
    check(c.expect(T_WHO_REPLY, skip=()) is not None, "WHO after two SENDs in one write")
    for x in (a, b):
        got = [relay(x.expect(T_RELAY, skip=()) or b"\0" * 13)[2] for _ in range(2)]
        check(got == [b"one", b"two"], "two frames in one write, in order")
    # Largest message passes whole.
    big = os.urandom(MAX_MSG)
    a.say(big)
    p = b.expect(T_RELAY, skip=())
    check(p is not None and relay(p)[2] == big, "largest SEND (%d bytes) relayed whole" % MAX_MSG)
    p = c.expect(T_RELAY, skip=())
    check(p is not None and relay(p)[2] == big, "largest SEND reaches c")
    c.close()
    for x in (a, b):
        expect_left(x, c.id, LEAVE_QUIT)
    a.close()
    b.close()


def sc_full(max_clients):
    peers = [Peer() for _ in range(max_clients)]
    for p in peers:
        p.welcome()
    extra = Peer()
    f = extra.read()
    check(f is not None and f[0] == T_REFUSED, "client beyond --max-clients gets REFUSED")
    if f:
        check(f[1][0] == ERR_FULL and b"full" in f[1], "REFUSED code FULL with a reason")
    check(extra.at_eof(), "refused client is closed")
    extra.close()
    # The others are unaffected: they still talk and saw no notice for it.
    still_talk(peers[0], peers[-1], "refusal")
    # A slot frees up: a new client gets in.
    gone = peers.pop(0)
    gone.close()
    expect_left(peers[-1], gone.id, LEAVE_QUIT)
    newcomer = Peer()
    check(newcomer.welcome() == max_clients, "a freed slot is usable again")
    for p in peers + [newcomer]:
        p.close()


BAD_FRAMES = {
    "bad-version": (frame(T_SEND, b"hi", version=2), ERR_VERSION),
    "version-0": (frame(T_SEND, b"hi", version=0), ERR_VERSION),
    "bad-type": (frame(0x03, b""), ERR_MALFORMED),
    "server-type": (frame(T_RELAY, b"x" * 13), ERR_MALFORMED),
    "bad-flags": (frame(T_SEND, b"hi", flags=0x0100), ERR_MALFORMED),
    "oversized": (frame(T_SEND, b"", length=MAX_PAYLOAD + 1), ERR_TOO_BIG),
    "huge-length": (frame(T_SEND, b"", length=0xffffffff), ERR_TOO_BIG),
    "send-over-max-msg": (frame(T_SEND, b"", length=MAX_MSG + 1), ERR_TOO_BIG),
    "empty-send": (frame(T_SEND, b""), ERR_MALFORMED),
    "who-with-payload": (frame(T_WHO, b"x"), ERR_MALFORMED),
    "garbage": (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", ERR_VERSION),
}


def sc_malformed():
    a = Peer()
    a.welcome()
    b = Peer()
    b.welcome()
    cases = list(BAD_FRAMES.items()) + [("truncated-payload", None), ("truncated-header", None)]
    for name, case in cases:
        v = Peer()
        v.welcome()
        if case is None:
            # A frame cut short by EOF: header says 100 bytes, 10 arrive.
            v.send(frame(T_SEND, b"", length=100)[: 8 if name == "truncated-payload" else 5]
                   + (b"x" * 10 if name == "truncated-payload" else b""))
            v.sock.shutdown(socket.SHUT_WR)
            code = ERR_MALFORMED
        else:
            v.send(case[0])
            code = case[1]
        p = v.expect(T_ERROR, skip=(T_JOINED, T_LEFT))
        check(p is not None and p[0] == code,
              "%s: ERROR code %s == %d" % (name, p[0] if p else None, code))
        check(v.at_eof(), "%s: connection closed after ERROR" % name)
        v.close()
        for x in (a, b):
            expect_left(x, v.id, LEAVE_ERROR)
        still_talk(a, b, name)
    # Random bytes: the server answers or closes, and survives.
    for i in range(20):
        v = Peer()
        v.welcome()
        v.send(os.urandom(1 + i * 37))
        v.sock.shutdown(socket.SHUT_WR)
        v.at_eof()
        v.close()
    still_talk(b, a, "random garbage")
    a.close()
    b.close()


def reader_thread(peer, want, out):
    """Collect RELAY payloads until want of them or EOF; LEFT notices too.
    out[peer] is filled as frames arrive, so others can watch progress."""
    relays, lefts = [], []
    out[peer] = (relays, lefts)
    while len(relays) < want:
        f = peer.read()
        if f is None:
            break
        if f[0] == T_RELAY:
            relays.append(relay(f[1]))
        elif f[0] == T_LEFT:
            lefts.append(notice(f[1]))


def slow_reader(peer, out):
    """Collect RELAYs until the b"END" message or EOF; LEFT notices too."""
    relays, lefts = [], []
    out[peer] = (relays, lefts)
    while True:
        f = peer.read()
        if f is None:
            break
        if f[0] == T_RELAY:
            if relay(f[1])[2] == b"END":
                break
            relays.append(relay(f[1]))
        elif f[0] == T_LEFT:
            lefts.append(notice(f[1]))


def sc_slow(max_count, size):
    readers = [Peer() for _ in range(3)]
    for r in readers:
        r.welcome()
    stuck = Peer(rcvbuf=4096)
    stuck.welcome()
    sender = Peer()
    sender.welcome()
    for r in readers:
        for _ in range(2):
            r.expect(T_JOINED, skip=())
    results = {}
    threads = [threading.Thread(target=slow_reader, args=(r, results)) for r in readers]
    for t in threads:
        t.start()
    body = os.urandom(size - 4)
    # The sender keeps at most `window` messages ahead of the slowest
    # reader, so only the stuck client (which never reads) can fall behind
    # (the window stays well under the --max-queue of 64 KiB the suite uses).
    # It sends until every reader has seen the stuck client leave (its
    # queue overflowed once the kernel buffers were full), then 100 more.
    window = max(1, 32768 // size)
    deadline = time.time() + 90
    sent, after = 0, None

    def progress():
        return min(len(results.get(r, ([],))[0]) for r in readers)

    def all_saw_left():
        return all(any(n[0] == stuck.id for n in results.get(r, ([], []))[1])
                   for r in readers)

    while sent < max_count and time.time() < deadline:
        while time.time() < deadline and progress() < sent - window:
            time.sleep(0.001)
        sender.say(struct.pack(">I", sent) + body)
        sent += 1
        if after is None and sent % 10 == 0 and all_saw_left():
            after = sent
        if after is not None and sent >= after + 100:
            break
    sender.say(b"END")
    for t in threads:
        t.join(60)
    print("  sent %d messages; stuck client dropped after about %s" % (sent, after))
    check(after is not None, "the stuck client was dropped within %d messages" % max_count)
    for r in readers:
        relays, lefts = results.get(r, ([], []))
        check(len(relays) == sent, "reader %d got %d of %d messages" % (r.id, len(relays), sent))
        check([struct.unpack(">I", m[2][:4])[0] for m in relays] == list(range(sent)),
              "reader %d got them in order" % r.id)
        check([n[2] for n in lefts if n[0] == stuck.id] == [LEAVE_SLOW],
              "reader %d saw LEFT(SLOW) for the stuck client" % r.id)
    # Whatever it finally reads ends in EOF (an ERROR(SLOW) if it fitted).
    got_error = None
    while True:
        f = stuck.read()
        if f is None:
            break
        if f[0] == T_ERROR:
            got_error = f[1][0]
    check(got_error in (None, ERR_SLOW), "stuck client's ERROR, if any, is SLOW")
    print("  stuck client got ERROR(SLOW): %s" % (got_error == ERR_SLOW))
    for p in readers + [stuck, sender]:
        p.close()


def sc_order(senders, per_sender, receivers):
    rs = [Peer() for _ in range(receivers)]
    ss = [Peer() for _ in range(senders)]
    for p in rs + ss:
        p.welcome()
    results = {}
    total = senders * per_sender
    threads = [threading.Thread(target=reader_thread, args=(r, total, results)) for r in rs]
    for t in threads:
        t.start()

    def blast(p, idx):
        for i in range(per_sender):
            p.say(struct.pack(">II", idx, i) + b"m" * (i % 50))

    bl = [threading.Thread(target=blast, args=(p, i)) for i, p in enumerate(ss)]
    for t in bl:
        t.start()
    for t in bl + threads:
        t.join(60)
    seqs = []
    for r in rs:
        relays = results.get(r, ([], []))[0]
        seq = [struct.unpack(">II", m[2][:8]) for m in relays]
        check(len(seq) == total, "receiver got %d of %d" % (len(seq), total))
        for idx in range(senders):
            mine = [i for s, i in seq if s == idx]
            check(mine == list(range(per_sender)), "sender %d's messages in order" % idx)
        check(all(m[0] == ss[s].id for m, (s, _) in zip(relays, seq)), "sender ids match")
        seqs.append(seq)
    check(all(s == seqs[0] for s in seqs), "every receiver saw the same interleaving")
    # Senders never get their own messages back: each sees only the others'.
    for idx, p in enumerate(ss):
        p.send(frame(T_WHO))
        got = []
        while True:
            f = p.read()
            if f is None or f[0] == T_WHO_REPLY:
                break
            if f[0] == T_RELAY:
                got.append(struct.unpack(">I", relay(f[1])[2][:4])[0])
        check(idx not in got, "sender %d did not get its own messages" % idx)
        check(len(got) == (senders - 1) * per_sender, "sender %d got the others' messages" % idx)
    for p in rs + ss:
        p.close()


def sc_many(count):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = count + 100
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard) if hard > 0 else need, hard))
    sel = selectors.DefaultSelector()
    socks = []
    for _ in range(count):
        s = socket.create_connection((HOST, PORT), timeout=TIMEOUT)
        s.setblocking(False)
        socks.append(s)
        sel.register(s, selectors.EVENT_READ, bytearray())
    marker = os.urandom(32)
    talker = Peer()
    talker.welcome()
    talker.say(marker)
    # Each client's stream must contain the marker inside a RELAY.
    pending = set(socks)
    deadline = time.time() + 60
    while pending and time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            s, buf = key.fileobj, key.data
            try:
                chunk = s.recv(1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                sel.unregister(s)
                pending.discard(s)
                check(False, "a client was closed")
                continue
            buf += chunk
            if marker in buf[-(len(chunk) + 64):] or marker in buf:
                sel.unregister(s)
                pending.discard(s)
                key.data.clear()
    check(not pending, "%d of %d clients got the broadcast" % (count - len(pending), count))
    print("  %d clients received the broadcast" % (count - len(pending)))
    for s in socks:
        s.close()
    talker.close()


def sc_shutdown_clients(count):
    """Connect, wait for the server to be signalled, expect ERROR(SHUTDOWN)."""
    peers = [Peer() for _ in range(count)]
    for p in peers:
        p.welcome()
    print("ready", flush=True)
    for p in peers:
        p.sock.settimeout(30)
        f = p.expect(T_ERROR)
        check(f is not None and f[0] == ERR_SHUTDOWN, "ERROR(SHUTDOWN) on server stop")
        check(p.at_eof(), "closed after shutdown")
        p.close()


def sc_ipv6():
    a = Peer(host="::1", family=socket.AF_INET6)
    b = Peer(host="::1", family=socket.AF_INET6)
    a.welcome()
    b.welcome()
    still_talk(a, b, "ipv6")
    a.close()
    b.close()


def sc_session():
    """A bit of everything, for the valgrind run."""
    sc_basic()
    a = Peer()
    a.welcome()
    b = Peer()
    b.welcome()
    for name in ("bad-version", "oversized", "bad-type"):
        v = Peer()
        v.welcome()
        v.send(BAD_FRAMES[name][0])
        v.expect(T_ERROR)
        v.close()
        expect_left(a, v.id, LEAVE_ERROR)
    v = Peer()
    v.welcome()
    v.send(frame(T_SEND, b"", length=100)[:8] + b"half")
    v.sock.shutdown(socket.SHUT_WR)
    v.expect(T_ERROR)
    v.close()
    sc_slow(20000, 2000)
    # Leave some clients connected with queued and partial input for the
    # shutdown path to free.
    a.send(frame(T_SEND, b"", length=1000)[:8] + b"partial")
    b.say(b"x" * 5000)
    print("ready", flush=True)
    time.sleep(1)


def main():
    global PORT
    if len(sys.argv) < 3:
        print("usage: chat_server_check.py SCENARIO PORT [ARGS...]")
        return 2
    name, PORT = sys.argv[1], int(sys.argv[2])
    args = [int(x) for x in sys.argv[3:]]
    fn = {"basic": sc_basic, "full": sc_full, "malformed": sc_malformed,
          "slow": sc_slow, "order": sc_order, "many": sc_many,
          "shutdown-clients": sc_shutdown_clients, "ipv6": sc_ipv6,
          "session": sc_session}[name]
    try:
        fn(*args)
    except Exception as e:  # an unexpected close or timeout is a failure
        check(False, "%s: %s: %s" % (name, type(e).__name__, e))
    if FAILURES:
        print("%s: %d check(s) failed" % (name, len(FAILURES)))
        return 1
    print("%s: ok" % name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
