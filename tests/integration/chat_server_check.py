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

VERSION = 3
T_SEND, T_WHO, T_PONG, T_JOIN, T_PART = 0x01, 0x02, 0x03, 0x04, 0x05
T_WELCOME, T_JOINED = 0x81, 0x82
T_RELAY, T_WHO_REPLY, T_REFUSED, T_ERROR = 0x84, 0x85, 0x86, 0x87
T_PING, T_PRESENCE, T_HISTORY = 0x88, 0x89, 0x8A
P_JOINED, P_LEFT = 1, 2
(LEAVE_QUIT, LEAVE_SLOW, LEAVE_ERROR, LEAVE_SHUTDOWN, LEAVE_FLOOD, LEAVE_TIMEOUT,
 LEAVE_MEMORY, LEAVE_PART) = range(8)
(ERR_FULL, ERR_VERSION, ERR_MALFORMED, ERR_TOO_BIG, ERR_SLOW, ERR_SHUTDOWN, ERR_FLOOD,
 ERR_TIMEOUT, ERR_ADDRESS, ERR_MEMORY, ERR_ROOM) = range(1, 12)
ROOM_ID_LEN = 16
ROOM = b"the-test-room-id"          # what every Peer joins unless told otherwise
MAX_PAYLOAD = 256 * 1024
MAX_MSG = MAX_PAYLOAD - ROOM_ID_LEN - 12
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


def who(cursor=0, room=ROOM):
    return frame(T_WHO, room + struct.pack(">Q", cursor))


def who_reply(payload):
    """(total, next_cursor, ids) of a WHO_REPLY payload."""
    payload = payload[ROOM_ID_LEN:]
    total, nxt, n = struct.unpack(">IQI", payload[:16])
    check(len(payload) == 16 + 4 * n, "WHO_REPLY length matches its count")
    return total, nxt, list(struct.unpack(">%dI" % n, payload[16:16 + 4 * n]))


def presence(payload):
    """(unix_ms, clients, [(event, id, reason)]) of a PRESENCE payload."""
    payload = payload[ROOM_ID_LEN:]
    ms, clients, n = struct.unpack(">QII", payload[:16])
    check(len(payload) == 16 + 6 * n, "PRESENCE length matches its count")
    out = []
    for i in range(n):
        ident, event, reason = struct.unpack(">IBB", payload[16 + 6 * i:22 + 6 * i])
        out.append((event, ident, reason))
    return ms, clients, out


class Peer:
    """One connection with a receive buffer and frame reader.  PINGs are
    answered (unless auto_pong is off) and not returned; PRESENCE entries
    after this peer's own join are collected in events as (event, id,
    reason), like a client does (docs/protocol.md)."""

    def __init__(self, rcvbuf=None, host=None, family=socket.AF_INET):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect((host or HOST, PORT))
        self.buf = b""
        self.id = None
        self.room = ROOM
        self.members = None
        self.auto_pong = True
        self.pings = 0
        self.events = []
        self.seen_self = False
        self.presence_frames = 0
        self.clients = None
        self.history = []       # HISTORY payloads, in arrival order
        self.live_first = False  # a RELAY came before any HISTORY
        self.eof = False
        self.errors = []

    def send(self, data):
        self.sock.sendall(data)

    def say(self, msg, room=None):
        self.send(frame(T_SEND, (room or self.room) + msg))

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                self.eof = True
                return False
            self.buf += chunk
        return True

    def read_raw(self):
        """Next frame as (type, payload), or None at EOF/reset."""
        try:
            if not self._fill(8):
                return None
            ver, ftype, flags, length = struct.unpack(">BBHI", self.buf[:8])
            assert ver == VERSION and flags == 0, "bad header from server"
            if not self._fill(8 + length):
                return None
        except ConnectionResetError:
            self.eof = True
            return None
        except socket.timeout:
            return None
        payload = self.buf[8:8 + length]
        self.buf = self.buf[8 + length:]
        if ftype == T_ERROR:
            self.errors.append(payload[0] if payload else None)
        return ftype, payload

    def read(self):
        """Next frame but PING as (type, payload), or None at EOF/reset."""
        while True:
            f = self.read_raw()
            if f is None or f[0] != T_PING:
                break
            check(f[1] == b"", "PING is empty")
            self.pings += 1
            if self.auto_pong:
                try:
                    self.send(frame(T_PONG))
                except OSError:
                    pass
        if f is not None and f[0] == T_HISTORY:
            self.history.append(f[1])
        if f is not None and f[0] == T_RELAY and not self.history:
            self.live_first = True
        if f is not None and f[0] == T_PRESENCE and f[1][:ROOM_ID_LEN] == self.room:
            self.presence_frames += 1
            _, self.clients, entries = presence(f[1])
            for e in entries:
                if self.seen_self:
                    self.events.append(e)
                elif e[0] == P_JOINED and e[1] == self.id:
                    self.seen_self = True
        return f

    def expect(self, want_type, skip=(T_PRESENCE, T_HISTORY)):
        """Next frame of want_type, skipping frames of the types in skip."""
        while True:
            f = self.read()
            if f is None:
                return None
            if f[0] == want_type:
                return f[1]
            if f[0] not in skip:
                check(False, "expected type 0x%02x, got 0x%02x" % (want_type, f[0]))
                return None

    def welcome(self, join=True):
        """WELCOME (the first frame, always), then, unless join is off,
        JOIN self.room and its JOINED.  Returns the server's client count."""
        p = self.expect(T_WELCOME, skip=())
        if p is None or not check(len(p) == 12, "WELCOME payload is 12 bytes"):
            return None
        self.id, clients, self.max_rooms = struct.unpack(">III", p)
        if join and self.join(self.room) is None:
            return None
        return clients

    def join(self, room):
        """JOIN room; the member count of its JOINED (None if none came)."""
        self.send(frame(T_JOIN, room))
        p = self.expect(T_JOINED)
        if p is None or not check(len(p) == 20 and p[:16] == room,
                                  "JOINED names the room joined"):
            return None
        self.members = struct.unpack(">I", p[16:])[0]
        return self.members

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
    """(sender, unix_ms, message) of a RELAY payload (its room: relay_room)."""
    sender, ms = struct.unpack(">IQ", payload[16:28])
    return sender, ms, payload[28:]


def relay_room(payload):
    return payload[:ROOM_ID_LEN]


def now_ms():
    return int(time.time() * 1000)


def wait_event(peer, event, ident):
    """Read until peer has seen event (P_JOINED/P_LEFT) for ident; its
    reason, or None if the connection ended first."""
    while True:
        for e in peer.events:
            if e[0] == event and e[1] == ident:
                return e[2]
        if peer.read() is None:
            return None


def expect_joined(peer, ident):
    check(wait_event(peer, P_JOINED, ident) is not None, "JOINED for %d arrives" % ident)


def expect_left(peer, ident, reason):
    """Read until LEFT for ident; check its reason."""
    got = wait_event(peer, P_LEFT, ident)
    if check(got is not None, "LEFT for %d arrives" % ident):
        check(got == reason, "LEFT reason %s == %d" % (got, reason))


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
    check(a.members == 1 and b.members == 2, "JOINED counts the room's members")
    check(a.id != b.id and a.id and b.id, "distinct non-zero ids")
    p = a.expect(T_PRESENCE, skip=())
    check(p is not None and abs(presence(p)[0] - now_ms()) < 60000, "PRESENCE has unix ms")
    expect_joined(a, b.id)
    check(a.clients == 2, "PRESENCE counts 2 clients")
    check((P_JOINED, a.id, 0) not in a.events, "a does not see its own join")
    c = Peer()
    c.welcome()
    for x in (a, b):
        expect_joined(x, c.id)
    check((P_JOINED, a.id, 0) not in b.events, "b does not see a's join, from before its own")
    a.say(b"\x00\xffopaque bytes")
    for x in (b, c):
        p = x.expect(T_RELAY)
        check(p is not None and relay(p)[0] == a.id and relay(p)[2] == b"\x00\xffopaque bytes",
              "RELAY carries sender id and the same bytes")
    # WHO: the sender's own message did not come back before the reply.
    a.send(who())
    p = a.expect(T_WHO_REPLY)
    if check(p is not None, "WHO_REPLY"):
        total, nxt, ids = who_reply(p)
        check(set(ids) == {a.id, b.id, c.id} and total == 3 and nxt == 0,
              "WHO lists the three ids in one page")
    # A message split into single bytes is reassembled.
    msg = frame(T_SEND, ROOM + b"split" * 10)
    for i in range(len(msg)):
        b.send(msg[i:i + 1])
    for x in (a, c):
        p = x.expect(T_RELAY)
        check(p is not None and relay(p)[2] == b"split" * 10, "byte-by-byte SEND relayed")
    # Several frames in one write.
    c.send(frame(T_SEND, ROOM + b"one") + frame(T_SEND, ROOM + b"two") + who())
    check(c.expect(T_WHO_REPLY) is not None, "WHO after two SENDs in one write")
    for x in (a, b):
        got = [relay(x.expect(T_RELAY) or b"\0" * 29)[2] for _ in range(2)]
        check(got == [b"one", b"two"], "two frames in one write, in order")
    # Largest message passes whole.
    big = os.urandom(MAX_MSG)
    a.say(big)
    p = b.expect(T_RELAY)
    check(p is not None and relay(p)[2] == big, "largest SEND (%d bytes) relayed whole" % MAX_MSG)
    p = c.expect(T_RELAY)
    check(p is not None and relay(p)[2] == big, "largest SEND reaches c")
    c.close()
    for x in (a, b):
        expect_left(x, c.id, LEAVE_QUIT)
    a.close()
    b.close()


def refused_beyond(limit, code, words):
    """limit clients connect; one more is REFUSED(code) with words in its
    reason and closed; the others are unaffected; once one leaves, a
    newcomer gets in."""
    peers = [Peer() for _ in range(limit)]
    for p in peers:
        p.welcome()
    extra = Peer()
    f = extra.read()
    check(f is not None and f[0] == T_REFUSED, "client %d gets REFUSED" % (limit + 1))
    if f:
        check(f[1][0] == code and words in f[1], "REFUSED code %d with a reason" % code)
    check(extra.at_eof(), "refused client is closed")
    extra.close()
    # The others are unaffected: they still talk and saw no notice for it.
    still_talk(peers[0], peers[-1], "refusal")
    # A slot frees up: a new client gets in.
    gone = peers.pop(0)
    gone.close()
    expect_left(peers[-1], gone.id, LEAVE_QUIT)
    newcomer = Peer()
    check(newcomer.welcome() == limit, "a freed slot is usable again")
    for p in peers + [newcomer]:
        p.close()


def sc_full(max_clients):
    refused_beyond(max_clients, ERR_FULL, b"full")


BAD_FRAMES = {
    "bad-version": (frame(T_SEND, b"hi", version=1), ERR_VERSION),
    "version-2": (frame(T_SEND, b"hi", version=2), ERR_VERSION),
    "version-4": (frame(T_SEND, b"hi", version=4), ERR_VERSION),
    "version-0": (frame(T_SEND, b"hi", version=0), ERR_VERSION),
    "bad-type": (frame(0x06, b""), ERR_MALFORMED),
    "server-type": (frame(T_RELAY, b"x" * 29), ERR_MALFORMED),
    "bad-flags": (frame(T_SEND, b"hi", flags=0x0100), ERR_MALFORMED),
    "oversized": (frame(T_SEND, b"", length=MAX_PAYLOAD + 1), ERR_TOO_BIG),
    "huge-length": (frame(T_SEND, b"", length=0xffffffff), ERR_TOO_BIG),
    "send-over-max-msg": (frame(T_SEND, b"", length=ROOM_ID_LEN + MAX_MSG + 1), ERR_TOO_BIG),
    "empty-send": (frame(T_SEND, b""), ERR_MALFORMED),
    "send-room-only": (frame(T_SEND, ROOM), ERR_MALFORMED),
    "send-short-room": (frame(T_SEND, b"short"), ERR_MALFORMED),
    "send-other-room": (frame(T_SEND, b"O" * 16 + b"hi"), ERR_ROOM),
    "who-empty": (frame(T_WHO, b""), ERR_MALFORMED),
    "who-short": (frame(T_WHO, ROOM + b"1234567"), ERR_MALFORMED),
    "who-other-room": (frame(T_WHO, b"O" * 16 + b"\0" * 8), ERR_ROOM),
    "join-again": (frame(T_JOIN, ROOM), ERR_ROOM),
    "join-short": (frame(T_JOIN, b"x" * 15), ERR_MALFORMED),
    "part-other-room": (frame(T_PART, b"O" * 16), ERR_ROOM),
    "part-long": (frame(T_PART, ROOM + b"x"), ERR_MALFORMED),
    "pong-with-payload": (frame(T_PONG, b"x"), ERR_MALFORMED),
    "server-ping": (frame(T_PING, b""), ERR_MALFORMED),
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
        for x in (a, b):    # (a join and leave in one batch would cancel out)
            expect_joined(x, v.id)
        if case is None:
            # A frame cut short by EOF: header says 100 bytes, 10 arrive.
            v.send(frame(T_SEND, b"", length=100)[: 8 if name == "truncated-payload" else 5]
                   + (b"x" * 10 if name == "truncated-payload" else b""))
            v.sock.shutdown(socket.SHUT_WR)
            code = ERR_MALFORMED
        else:
            v.send(case[0])
            code = case[1]
        p = v.expect(T_ERROR)
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
    """Collect RELAY payloads until want of them or EOF; presence events in
    peer.events.  out[peer] is filled as frames arrive, so others can watch
    progress."""
    relays = []
    out[peer] = (relays, peer.events)
    while len(relays) < want:
        f = peer.read()
        if f is None:
            break
        if f[0] == T_RELAY:
            relays.append(relay(f[1]))


def slow_reader(peer, out):
    """Collect RELAYs until the b"END" message or EOF; presence events in
    peer.events."""
    relays = []
    out[peer] = (relays, peer.events)
    while True:
        f = peer.read()
        if f is None:
            break
        if f[0] == T_RELAY:
            if relay(f[1])[2] == b"END":
                break
            relays.append(relay(f[1]))


def sc_slow(max_count, size):
    readers = [Peer() for _ in range(3)]
    for r in readers:
        r.welcome()
    stuck = Peer(rcvbuf=4096)
    stuck.welcome()
    sender = Peer()
    sender.welcome()
    for r in readers:
        for p in (stuck, sender):
            expect_joined(r, p.id)
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
        return all(any(e[0] == P_LEFT and e[1] == stuck.id
                       for e in results.get(r, ([], []))[1])
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
        check([e[2] for e in lefts if e[0] == P_LEFT and e[1] == stuck.id] == [LEAVE_SLOW],
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
        p.send(who())
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
        s.sendall(frame(T_JOIN, ROOM))
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


# ---- limits against hostile clients (issue 14 section 3) -------------------

def vm_kb(pid, field):
    """A size from /proc/PID/status in KiB (0 for pid 0: not measured)."""
    if not pid:
        return 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def connected_ids(peer, per_page=None):
    """Every connected id, asked page by page with WHO."""
    ids, cursor = [], 0
    while True:
        peer.send(who(cursor))
        p = peer.expect(T_WHO_REPLY)
        if not check(p is not None, "WHO_REPLY arrives"):
            return ids
        _, cursor, page = who_reply(p)
        if per_page is not None:
            check(len(page) <= per_page, "a page holds at most %d ids" % per_page)
        ids += page
        if cursor == 0:
            return ids


def pump(peers, seconds, until=lambda: False):
    """Read every peer (answering PINGs as each one's auto_pong says) for
    seconds or until all are at EOF or until() holds."""
    for p in peers:
        p.sock.settimeout(0.2)
    end = time.time() + seconds
    while time.time() < end and not all(p.eof for p in peers) and not until():
        for p in peers:
            if not p.eof:
                p.read()
    for p in peers:
        p.sock.settimeout(TIMEOUT)


def relays_from(peer, sender_id, out, stop):
    """Thread: count RELAYs from sender_id (with arrival times) until stop()
    or the LEFT of sender_id."""
    peer.sock.settimeout(0.2)
    while not stop() and not peer.eof:
        f = peer.read()
        if f and f[0] == T_RELAY and relay(f[1])[0] == sender_id:
            out.append(time.time())
        if any(e[0] == P_LEFT and e[1] == sender_id for e in peer.events):
            break
    peer.sock.settimeout(TIMEOUT)


def sc_rate(rate, burst, flood_s):
    """--msg-rate RATE --msg-burst BURST --flood-timeout FLOOD_S."""
    rx = Peer()
    rx.welcome()
    calm = Peer()
    calm.welcome()
    expect_joined(rx, calm.id)
    # A person: a burst, then typing at a third of the rate.  Nothing is lost.
    typed = max(2, rate // 2)
    for i in range(burst):
        calm.say(b"burst %d" % i)
    for i in range(typed):
        calm.say(b"typed %d" % i)
        time.sleep(3.0 / rate)
    got = []
    while len(got) < burst + typed:
        p = rx.expect(T_RELAY)
        if p is None:
            break
        got.append(relay(p)[2])
    check(len(got) == burst + typed and got[-1] == b"typed %d" % (typed - 1),
          "a client within its limits: all %d messages relayed (%d)" % (burst + typed, len(got)))
    # A script: tiny SENDs as fast as its socket takes them.
    fl = Peer()
    fl.welcome()
    expect_joined(rx, fl.id)
    times, done = [], []
    t = threading.Thread(target=relays_from, args=(rx, fl.id, times, lambda: done))
    t.start()
    fl.sock.setblocking(False)
    chunk = frame(T_SEND, ROOM + b"x") * 1000
    start, sent, closed = time.time(), 0, False
    while time.time() < start + flood_s + 30 and t.is_alive():
        try:
            sent += fl.sock.send(chunk)
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:
            closed = True
            break
    elapsed = time.time() - start
    done.append(1)
    t.join(30)
    fl.sock.setblocking(True)
    fl.sock.settimeout(2)
    while fl.read() is not None:
        pass
    allowed = burst + rate * (elapsed + 1)
    print("  flooder wrote %d frames in %.1f s, %d were relayed (allowed at most %d); "
          "its ERROR: %s" % (sent // 9, elapsed, len(times), allowed, fl.errors))
    check(len(times) <= allowed, "a flooding client is not read beyond its rate limit")
    check(sent // 9 > 2 * len(times), "its frames wait unread (the server stopped reading it)")
    expect_left(rx, fl.id, LEAVE_FLOOD)
    check(closed or fl.eof, "the flooder's connection is closed")
    check(fl.errors in ([], [ERR_FLOOD]), "its ERROR, if it read it, is FLOOD")
    still_talk(calm, rx, "flood")
    for p in (rx, calm, fl):
        p.close()


def sc_byte_rate(byte_rate, byte_burst):
    """--byte-rate BYTE_RATE --byte-burst BYTE_BURST --flood-timeout 0."""
    rx = Peer()
    rx.welcome()
    tx = Peer()
    tx.welcome()
    expect_joined(rx, tx.id)
    msgs = [os.urandom(60000) for _ in range(5)]
    start = time.time()
    t = threading.Thread(target=lambda: tx.send(b"".join(frame(T_SEND, ROOM + m) for m in msgs)))
    t.start()
    got = []
    while len(got) < len(msgs):
        p = rx.expect(T_RELAY)
        if p is None:
            break
        got.append(relay(p)[2])
    elapsed = time.time() - start
    t.join(30)
    total = sum(len(m) + 8 + ROOM_ID_LEN for m in msgs)
    print("  %d bytes in %.2f s (at most %d + %d/s allowed)" % (total, elapsed, byte_burst,
                                                               byte_rate))
    check(got == msgs, "every message arrives, whole and in order")
    check(total <= byte_burst + byte_rate * (elapsed + 0.5),
          "the server read the sender no faster than its byte rate")
    still_talk(tx, rx, "byte rate")
    rx.close()
    tx.close()


def sc_handshake(timeout_s):
    """--handshake-timeout TIMEOUT_S: a connection that sends no whole frame
    in time is closed; one that answers the PING is kept."""
    rx = Peer()
    rx.welcome()
    ok = Peer()
    ok.welcome()
    ok.expect(T_PRESENCE)               # answers the PING on the way
    silent = Peer()                     # (neither joins a room: a JOIN
    silent.auto_pong = False            # would be the frame in time)
    silent.welcome(join=False)
    trickle = Peer()
    trickle.auto_pong = False
    trickle.welcome(join=False)
    hdr = frame(T_SEND, b"", length=10)
    start = time.time()

    def slowloris():                    # one header byte a second
        for i in range(len(hdr) - 1):
            try:
                trickle.send(hdr[i:i + 1])
            except OSError:
                return
            time.sleep(1)
    threading.Thread(target=slowloris, daemon=True).start()
    for p, what in ((silent, "silent"), (trickle, "slowloris")):
        p.sock.settimeout(timeout_s + 10)
        while p.read() is not None:
            pass
        check(p.pings == 1, "%s got one PING to answer" % what)
        check(p.errors == [ERR_TIMEOUT], "%s got ERROR(TIMEOUT): %s" % (what, p.errors))
        check(p.eof, "%s is closed" % what)
    print("  both closed after %.1f s" % (time.time() - start))
    check(sorted(connected_ids(rx)) == sorted([rx.id, ok.id]),
          "the clients that answered stay connected")
    still_talk(ok, rx, "handshake timeout")
    for p in (rx, ok, silent, trickle):
        p.close()


def sc_idle(idle_s):
    """--idle-timeout IDLE_S: a silent client gets PINGs and stays while it
    answers them; one that stops answering is closed."""
    rx = Peer()
    rx.welcome()
    quiet = Peer()
    quiet.welcome()
    deaf = Peer()
    deaf.welcome()
    deaf.expect(T_PRESENCE)             # answers the handshake's PING
    deaf.auto_pong = False
    expect_joined(rx, quiet.id)
    expect_joined(rx, deaf.id)
    start = time.time()
    pump([rx, quiet, deaf], 4 * idle_s, lambda: deaf.eof and quiet.pings >= 2 and
         time.time() > start + idle_s)
    print("  after %.1f s: quiet got %d PINGs, deaf %d, deaf closed: %s" %
          (time.time() - start, quiet.pings, deaf.pings, deaf.eof))
    check(quiet.pings >= 2 and not quiet.eof,
          "a silent client that answers PINGs stays (%d PINGs)" % quiet.pings)
    check(deaf.eof and deaf.errors == [ERR_TIMEOUT],
          "a client that does not answer is closed with ERROR(TIMEOUT): %s" % deaf.errors)
    check((P_LEFT, deaf.id, LEAVE_TIMEOUT) in rx.events, "the others see LEFT(TIMEOUT)")
    check(not any(e[0] == P_LEFT and e[1] == quiet.id for e in rx.events),
          "nobody sees the quiet client leave")
    still_talk(quiet, rx, "idle")
    for p in (rx, quiet, deaf):
        p.close()


def sc_header_only(count, server_pid):
    """Clients that send only a header announcing the largest SEND make the
    server allocate what they sent, not what they announced (the server runs
    with --max-memory 8m: announced sizes would exceed it many times)."""
    rx = Peer()
    rx.welcome()
    before = vm_kb(server_pid, "VmData")
    peers = []
    for _ in range(count):
        p = Peer()
        p.welcome()
        p.send(frame(T_SEND, b"", length=ROOM_ID_LEN + MAX_MSG) + ROOM + b"y" * 84)
        peers.append(p)
    ids = connected_ids(rx)
    after = vm_kb(server_pid, "VmData")
    print("  %d clients announced %d MiB, the server's data grew by %d KiB" %
          (count, count * MAX_MSG >> 20, after - before))
    check(len(ids) == count + 1, "all %d stay connected (%d)" % (count + 1, len(ids)))
    check(after - before < 16 * 1024, "the server did not allocate the announced sizes")
    for p in peers[:3]:                 # some finish their frames
        p.send(b"z" * (MAX_MSG - 84))
    for _ in range(3):
        p = rx.expect(T_RELAY)
        if not check(p is not None and len(relay(p)[2]) == MAX_MSG, "their frames arrive"):
            break
    for p in peers + [rx]:
        p.close()


def sc_memory(hogs, server_pid, cap_mb):
    """--max-memory CAP_MB m: clients that each hold a partial frame of 200 KB
    are refused or disconnected (the biggest first) once the total would pass
    the cap; the others go on."""
    a = Peer()
    a.welcome()
    b = Peer()
    b.welcome()
    before = vm_kb(server_pid, "VmData")
    admitted, refused = [], []
    for _ in range(hogs):
        h = Peer()
        f = h.read()
        if f is not None and f[0] == T_REFUSED:
            check(f[1][0] == ERR_MEMORY, "a refused newcomer is told REFUSED(MEMORY)")
            refused.append(h)
            continue
        check(f is not None and f[0] == T_WELCOME, "WELCOME or REFUSED")
        h.id = struct.unpack(">I", f[1][:4])[0]
        h.send(frame(T_SEND, b"", length=ROOM_ID_LEN + MAX_MSG) + b"h" * 200000)
        admitted.append(h)
    still_talk(a, b, "hogs")            # the server has read them all by now
    for h in admitted:
        h.sock.settimeout(0.1)
        while h.read() is not None:
            pass
    evicted = [h for h in admitted if h.eof]
    kept = len(admitted) - len(evicted)
    after = vm_kb(server_pid, "VmData")
    print("  of %d clients holding 200 KB each: %d refused, %d disconnected, %d kept "
          "(cap %d MiB); the server's data grew by %s" %
          (hogs, len(refused), len(evicted), kept, cap_mb,
           "%d KiB" % (after - before) if server_pid else "(not measured)"))
    check(len(refused) + len(evicted) >= 1 and kept * 200000 <= cap_mb << 20,
          "what is kept fits the cap")
    check(all(h.errors == [ERR_MEMORY] for h in evicted), "each disconnected one got ERROR(MEMORY)")
    check(after - before < 2 * (cap_mb << 10), "the server's data stayed near the cap")
    still_talk(b, a, "after the memory cap")
    for h in evicted:
        if (P_JOINED, h.id, 0) in a.events:
            check((P_LEFT, h.id, LEAVE_MEMORY) in a.events, "LEFT(MEMORY) for %d" % h.id)
    check(not any(e[0] == P_LEFT and e[1] in (a.id, b.id) for e in a.events + b.events),
          "the small clients are not disconnected")
    for p in admitted + refused + [a, b]:
        p.close()


def sc_per_address(limit):
    """--max-per-address LIMIT: one more from the same address is refused."""
    refused_beyond(limit, ERR_ADDRESS, b"too many connections from your address")


def sc_presence(count):
    """count clients connect, then all leave: an observer gets every join and
    leave once, in at most one PRESENCE frame per 100 ms window."""
    obs = Peer()
    obs.welcome()
    partner = Peer()
    partner.welcome()
    expect_joined(obs, partner.id)
    frames0 = obs.presence_frames
    start = time.time()
    peers = []
    for _ in range(count):
        p = Peer()
        p.welcome()
        peers.append(p)
    for p in peers:
        expect_joined(obs, p.id)
    for p in peers:
        p.close()
    for p in peers:
        wait_event(obs, P_LEFT, p.id)
    elapsed = time.time() - start
    ids = set(p.id for p in peers)
    joins = sorted(e[1] for e in obs.events if e[0] == P_JOINED and e[1] in ids)
    leaves = sorted(e[1] for e in obs.events if e[0] == P_LEFT and e[1] in ids)
    frames = obs.presence_frames - frames0
    print("  %d joins and %d leaves reached the observer in %d PRESENCE frames in %.1f s"
          % (len(joins), len(leaves), frames, elapsed))
    check(joins == sorted(ids) and leaves == sorted(ids), "each join and leave once")
    check(frames <= 10 * elapsed + 2, "at most one PRESENCE frame per window")
    # Connections that come and go within one window are never announced.
    short = []
    for _ in range(50):
        p = Peer()
        p.welcome()
        p.close()
        short.append(p.id)
    time.sleep(0.3)
    still_talk(partner, obs, "short-lived")
    seen = [e for e in obs.events if e[1] in short]
    print("  50 connections that closed at once cost %d presence entries" % len(seen))
    check(len(seen) <= 20, "short-lived connections cancel out (%d entries for 50)" % len(seen))
    # A newcomer is not told of joins that its WELCOME already counted.
    early = [Peer() for _ in range(5)]
    late = Peer()
    for p in early:
        p.welcome()
    late.welcome()
    still_talk(obs, late, "newcomer")
    check(late.seen_self, "a newcomer's own join comes in a PRESENCE batch")
    check(not any(e[1] in [p.id for p in early] for e in late.events),
          "a newcomer's notices start after its own join")
    for p in early + [late, obs, partner]:
        p.close()


def sc_who_pages(count, page):
    """--who-page PAGE: WHO lists every id in pages of at most PAGE, and a
    listing taken while clients come and go lists each present one once."""
    asker = Peer()
    asker.welcome()
    peers = [Peer() for _ in range(count)]
    for p in peers:
        p.welcome()
    everyone = sorted([asker.id] + [p.id for p in peers])
    ids = connected_ids(asker, page)
    check(sorted(ids) == everyone, "pages list all %d ids once (%d)" % (len(everyone), len(ids)))
    asker.send(who())
    p = asker.expect(T_WHO_REPLY)
    check(p is not None and who_reply(p)[0] == count + 1, "a page says how many are connected")
    # Page by page while 10 leave and 10 join.
    asker.send(who())
    total, cursor, ids = who_reply(asker.expect(T_WHO_REPLY))
    leaving = peers[-10:]
    for p in leaving:
        expect_joined(asker, p.id)      # (else join and leave cancel out)
    for p in leaving:
        p.close()
    for p in leaving:
        expect_left(asker, p.id, LEAVE_QUIT)
    joining = [Peer() for _ in range(10)]
    for p in joining:
        p.welcome()
    while cursor:
        asker.send(who(cursor))
        _, cursor, more = who_reply(asker.expect(T_WHO_REPLY))
        ids += more
    stayed = set(everyone) - set(p.id for p in leaving)
    check(len(ids) == len(set(ids)), "no id listed twice")
    check(stayed <= set(ids), "every client present throughout is listed")
    for p in peers[:-10] + joining + [asker]:
        p.close()


def sc_accept_stall(ctl, seconds):
    """accept() fails while the file ctl exists (tests/integration/
    accept_fail_shim.c): a client waits in the backlog meanwhile; once the
    file is gone it is served."""
    p = Peer()
    time.sleep(seconds)
    os.unlink(ctl)
    check(p.welcome() == 1, "the client that waited is served once accept works")
    p.close()


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
        expect_joined(a, v.id)
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


def peer_in(room):
    """A Peer that joined room (and only it)."""
    p = Peer()
    p.room = room
    p.welcome()
    return p


def sc_history(limit=200):
    """A member who joins later gets the room's recent messages as HISTORY
    frames right after its JOINED: the RELAYs' sender, time and bytes, oldest
    first, the newest `limit` (--history) of them; nothing of other rooms;
    a room whose last member left starts afresh (a lone relay keeps
    history in memory, for as long as the room has members)."""
    room = b"history-room-%03d" % (now_ms() % 1000)
    other = b"history-other-%02d" % (now_ms() % 100)
    a, b = peer_in(room), peer_in(room)
    b.join(other)
    a.join(other)
    a.say(b"in another room", room=other)
    for i in range(limit + 5):
        a.say(b"history-%04d" % i)
    got = []    # what b saw live, in the server's order
    while len(got) < limit + 5:
        p = b.expect(T_RELAY)
        if not check(p is not None, "live relay %d arrives" % len(got)):
            return
        if relay_room(p) == room:
            got.append(relay(p))
    c = peer_in(room)
    a.say(b"live-after-join")
    p = c.expect(T_RELAY)
    check(p is not None and relay(p)[2] == b"live-after-join", "a live message follows")
    check(not c.live_first, "HISTORY frames come before live RELAYs")
    hist = [relay(h) for h in c.history]
    check(all(relay_room(h) == room for h in c.history), "history names the room joined")
    check(len(hist) == limit, "the newest %d messages come as history (got %d)"
          % (limit, len(hist)))
    check(hist == got[-limit:],
          "history frames carry the relayed sender, time and bytes, in order")
    check(b"in another room" not in [h[2] for h in hist], "no other room's messages")
    # a room that emptied starts afresh
    for x in (a, b, c):
        x.close()
    time.sleep(0.3)
    d = peer_in(room)
    d.say(b"probe")
    time.sleep(0.3)
    e = peer_in(room)
    d.say(b"probe-2")
    p = e.expect(T_RELAY)
    check(p is not None and relay(p)[2] == b"probe-2", "the new room relays")
    check([relay(h)[2] for h in e.history] == [b"probe"],
          "a room that emptied keeps nothing of before (history: %s)" %
          [relay(h)[2][:16] for h in e.history])


def sc_no_history():
    """--history 0: a late joiner gets no HISTORY frame."""
    a = Peer()
    a.welcome()
    a.say(b"before")
    time.sleep(0.2)
    b = Peer()
    b.welcome()
    a.say(b"after")
    p = b.expect(T_RELAY)
    check(p is not None and relay(p)[2] == b"after", "live relay arrives")
    check(not b.history, "no history with --history 0")


def sc_coalesce(hold_ms):
    """--coalesce-ms HOLD_MS: output after a quiet spell is written at once;
    output that comes within HOLD_MS of the last write pass waits about
    that long, then leaves with what came meanwhile, in order."""
    a, b = Peer(), Peer()
    a.welcome()
    b.welcome()
    hold = hold_ms / 1000.0
    time.sleep(hold * 2)                 # quiet: nothing written for a while
    t0 = time.monotonic()
    a.say(b"after-quiet")
    p = b.expect(T_RELAY)
    t1 = time.monotonic()
    check(p is not None and relay(p)[2] == b"after-quiet", "message after a quiet spell arrives")
    check(t1 - t0 < hold * 0.7, "after a quiet spell it is not held (%.0f ms, hold %d ms)"
          % ((t1 - t0) * 1000, hold_ms))
    a.say(b"busy-1")                     # right after a write pass: held
    a.say(b"busy-2")
    got = []
    for _ in range(2):
        p = b.expect(T_RELAY)
        got.append(relay(p)[2] if p is not None else None)
    t2 = time.monotonic()
    check(got == [b"busy-1", b"busy-2"], "held messages arrive, in order (%r)" % got)
    check(t2 - t1 >= hold * 0.7, "output right after a write pass is held (%.0f ms, hold %d ms)"
          % ((t2 - t1) * 1000, hold_ms))
    a.close()
    b.close()


def main():
    global PORT
    if len(sys.argv) < 3:
        print("usage: chat_server_check.py SCENARIO PORT [ARGS...]")
        return 2
    name, PORT = sys.argv[1], int(sys.argv[2])
    args = [int(x) if x.isdigit() else x for x in sys.argv[3:]]
    fn = {"basic": sc_basic, "full": sc_full, "malformed": sc_malformed,
          "slow": sc_slow, "order": sc_order, "many": sc_many,
          "shutdown-clients": sc_shutdown_clients, "ipv6": sc_ipv6,
          "session": sc_session, "rate": sc_rate, "byte-rate": sc_byte_rate,
          "handshake": sc_handshake, "idle": sc_idle, "header-only": sc_header_only,
          "memory": sc_memory, "per-address": sc_per_address, "presence": sc_presence,
          "who-pages": sc_who_pages, "accept-stall": sc_accept_stall,
          "history": sc_history, "no-history": sc_no_history,
          "coalesce": sc_coalesce}[name]
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
