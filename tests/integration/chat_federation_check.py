#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""chat_federation_check.py - chat-server relays federated over NATS.

Owns: the federation scenarios of tests/suite-25-chat-federation.sh (issue
15 sections 1 and 4): it starts a 3-node nats-server cluster (routes on
127.0.0.1, free ports) and chat-server relays joined to it, drives scripted
protocol clients (tests/integration/chat_server_check.py's Peer) and real
chat-clients against them, kills relays and NATS nodes, publishes
malformed messages straight onto NATS (the plain-text NATS client protocol
over a socket: PUB subject n), and stops everything it started.  Prints
one "PASS name" or "FAIL name" line per check.  Every wait is bounded.

usage: chat_federation_check.py BUILD_DIR [SCENARIO...]
"""
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chat_server_check as csc  # noqa: E402

BUILD = "build"
TMP = None
PROCS = []
RESULTS = {"pass": 0, "fail": 0}
FED_ID_SHIFT = 24
LEAVE_TIMEOUT = 5
LEAVE_QUIT = 0


def result(ok, name, detail=""):
    RESULTS["pass" if ok else "fail"] += 1
    print("%s %s%s" % ("PASS" if ok else "FAIL", name,
                       "" if ok or not detail else " (" + detail + ")"), flush=True)
    return ok


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_until(cond, timeout, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


def log_has(path, text):
    try:
        with open(path, errors="replace") as f:
            return text in f.read()
    except OSError:
        return False


def log_count(path, text):
    try:
        with open(path, errors="replace") as f:
            return f.read().count(text)
    except OSError:
        return 0


class Proc:
    def __init__(self, name, argv, env=None, stdin=None):
        self.name = name
        self.log = os.path.join(TMP, name + ".log")
        self.argv = argv
        self.f = open(self.log, "ab")
        self.p = subprocess.Popen(argv, stdout=self.f, stderr=subprocess.STDOUT,
                                  stdin=stdin, env=env)
        PROCS.append(self)

    def alive(self):
        return self.p.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.alive():
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self.f.close()
        return self.p.returncode


class Cluster:
    """3 nats-server nodes routed to each other on loopback, JetStream on
    (each node's store in TMP)."""

    def __init__(self, n=3):
        self.ports = [free_port() for _ in range(n)]
        self.cports = [free_port() for _ in range(n)]
        self.nodes = [None] * n
        self.store = tempfile.mkdtemp(prefix="js.", dir=TMP)

    def url(self, i):
        return "nats://127.0.0.1:%d" % self.ports[i]

    def urls(self, order=None):
        return ",".join(self.url(i) for i in (order or range(len(self.ports))))

    def start(self, i):
        routes = ",".join("nats://127.0.0.1:%d" % p
                          for j, p in enumerate(self.cports) if j != i)
        self.nodes[i] = Proc("nats%d" % i, [
            "nats-server", "-a", "127.0.0.1", "-p", str(self.ports[i]),
            "--cluster", "nats://127.0.0.1:%d" % self.cports[i],
            "--routes", routes, "--cluster_name", "vcdchat-test",
            # clients know only the URLs they are given (so a relay given
            # one node really loses NATS when that node dies)
            "--no_advertise=true",
            "-js", "--store_dir", os.path.join(self.store, "node%d" % i),
            "-n", "node%d" % i])

    def ready(self, i):
        return log_has(self.nodes[i].log, "Server is ready")

    def routed(self, i, want):
        return log_count(self.nodes[i].log, "Route connection created") >= want


class Relay:
    def __init__(self, name, relay_id, nats_urls, build=None, extra=()):
        self.name = name
        self.port = free_port()
        self.relay_id = relay_id
        self.proc = Proc(name, [os.path.join(build or BUILD, "chat-server"),
                                "--listen", "127.0.0.1", "--port", str(self.port),
                                "--nats", nats_urls, "--relay-id", str(relay_id),
                                "--handshake-timeout", "0", "--idle-timeout", "0"] +
                         list(extra))
        self.log = self.proc.log
        if not wait_until(lambda: log_has(self.log, "listening on"), 10):
            raise RuntimeError("relay %s did not start" % name)

    def peer(self, room=csc.ROOM):
        csc.PORT = self.port
        p = csc.Peer()
        p.room = room
        p.welcome()
        return p

    def federated_with(self, other):
        return log_has(self.log, "relay %u is in the federation" % other.relay_id)


def drain(peer, seconds):
    """Frames of peer for up to seconds (until quiet): list of (type, payload)."""
    out = []
    peer.sock.settimeout(seconds)
    while True:
        f = peer.read()
        if f is None:
            break
        out.append(f)
    peer.sock.settimeout(csc.TIMEOUT)
    return out


def relays_of(frames, room=csc.ROOM):
    """[(sender, body)] of the RELAY frames of room."""
    got = []
    for t, p in frames:
        if t == csc.T_RELAY and p[:16] == room:
            sender, = struct.unpack(">I", p[16:20])
            got.append((sender, p[28:]))
    return got


def wait_joined(peer, ids, timeout=10):
    """Until every id in ids has a JOINED event at peer (after its own)."""
    def joined():
        return set(ids) <= {i for e, i, r in peer.events if e == csc.P_JOINED}
    end = time.monotonic() + timeout
    peer.sock.settimeout(0.2)
    try:
        while not joined() and time.monotonic() < end:
            peer.read()
    finally:
        peer.sock.settimeout(csc.TIMEOUT)
    return joined()


def wait_left(peer, ident, timeout):
    """(reason, seconds) once ident has LEFT at peer, else (None, timeout)."""
    t0 = time.monotonic()
    peer.sock.settimeout(0.2)
    try:
        while time.monotonic() - t0 < timeout:
            for e, i, r in peer.events:
                if e == csc.P_LEFT and i == ident:
                    return r, time.monotonic() - t0
            peer.read()
    finally:
        peer.sock.settimeout(csc.TIMEOUT)
    return None, timeout


def expect_timeouts(pairs, name, timing):
    """Each (peer, id) of pairs sees id leave with reason TIMEOUT within
    10 s; prints how long the first took (timing: a format with %.1f)."""
    got = [wait_left(p, ident, 10) for p, ident in pairs]
    result(all(r == LEAVE_TIMEOUT for r, _ in got), name,
           "reasons %s" % [r for r, _ in got])
    print("  " + timing % got[0][1])


def who_ids(peer):
    peer.send(csc.who(0, peer.room))
    p = peer.expect(csc.T_WHO_REPLY, skip=(csc.T_PRESENCE, csc.T_RELAY))
    if p is None:
        return None, []
    total, nxt, ids = csc.who_reply(p)
    return total, ids


def nats_pub(port, items):
    """Publish [(subject, payload bytes)] with NATS' text protocol."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.recv(4096)  # INFO
    s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"name":"fuzz"}\r\n')
    for subj, data in items:
        s.sendall(b"PUB %s %d\r\n" % (subj.encode(), len(data)) + data + b"\r\n")
    s.sendall(b"PING\r\n")
    buf = b""
    s.settimeout(5)
    while b"PONG" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    s.close()
    return b"PONG" in buf


def stream_msgs(port, stream="VCDCHAT_HISTORY"):
    """Messages a JetStream stream holds, or None when JetStream does not
    answer."""
    info = stream_info(port, stream)
    return info["state"]["messages"] if info else None


def stream_info(port, stream="VCDCHAT_HISTORY"):
    """A JetStream stream's STREAM.INFO (over NATS' text protocol) as a
    dict, or None when JetStream does not answer."""
    import json
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.recv(4096)  # INFO
        s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,'
                  b'"no_responders":true}\r\nSUB _INBOX.check 1\r\n'
                  b"PUB $JS.API.STREAM.INFO.%s _INBOX.check 0\r\n\r\n" % stream.encode())
        buf = b""
        end = time.monotonic() + 5
        while time.monotonic() < end:
            i = buf.find(b"MSG _INBOX.check")
            if i >= 0:
                head_end = buf.find(b"\r\n", i)
                if head_end > 0:
                    n = int(buf[i:head_end].split()[-1])
                    body = buf[head_end + 2:head_end + 2 + n]
                    if len(body) == n:
                        info = json.loads(body)
                        return info if "state" in info else None
            if b"HMSG _INBOX.check" in buf:
                return None     # no responders
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    except (OSError, ValueError, KeyError):
        pass
    return None


def room_subject(room, kind="msg"):
    """The subject of a room's MSGs ("msg", kept by JetStream) or of the
    rest of its traffic ("ctl")."""
    return "vcdchat.room." + room.hex() + "." + kind


def fed_hdr(ftype, relay, instance, room=None):
    h = struct.pack(">BBBBQ", 1, ftype, relay, 0, instance)
    return h + (room or b"")


# ---- scenarios --------------------------------------------------------------

def scenario_all():
    cl = Cluster()
    for i in range(3):
        cl.start(i)
    if not result(wait_until(lambda: all(cl.ready(i) for i in range(3)), 15) and
                  wait_until(lambda: all(cl.routed(i, 2) for i in range(3)), 15),
                  "3-node NATS cluster up with routes"):
        return
    # Each relay knows all nodes but starts on its own one first.
    ra = Relay("relay-a", 1, cl.urls([0, 1, 2]))
    rb = Relay("relay-b", 2, cl.urls([1, 2, 0]))
    rc = Relay("relay-c", 3, cl.urls([2, 0, 1]))
    ok = wait_until(lambda: all(x.federated_with(y) for x in (ra, rb, rc)
                                for y in (ra, rb, rc) if x is not y), 15)
    result(ok, "three relays see each other over NATS")

    a, b, c = ra.peer(), rb.peer(), rc.peer()
    other = rb.peer(room=b"another-room-id!")
    result(all(p.id >> FED_ID_SHIFT == r.relay_id
               for p, r in ((a, ra), (b, rb), (c, rc))),
           "connection ids carry the relay's number in their top byte")
    ok = all(wait_joined(p, [x.id for x in (a, b, c) if x is not p]) for p in (a, b, c))
    result(ok, "joins on other relays reach every member (PRESENCE)")

    # Both ways, exactly once, in order.
    n = 60
    for i in range(n):
        a.say(b"a-%03d" % i)
        b.say(b"b-%03d" % i)
        if i % 20 == 0:
            c.say(b"c-%03d" % i)
    got = {p: relays_of(drain(p, 1.5)) for p in (a, b, c, other)}
    want_a = [(a.id, b"a-%03d" % i) for i in range(n)]
    want_b = [(b.id, b"b-%03d" % i) for i in range(n)]
    want_c = [(c.id, b"c-%03d" % i) for i in range(0, n, 20)]

    def only(lst, ident):
        return [x for x in lst if x[0] == ident]
    result(only(got[b], a.id) == want_a and only(got[c], a.id) == want_a,
           "a's messages reach b and c (other relays) exactly once, in order",
           "b got %d, c got %d" % (len(only(got[b], a.id)), len(only(got[c], a.id))))
    result(only(got[a], b.id) == want_b and only(got[c], b.id) == want_b,
           "b's messages reach a and c exactly once, in order")
    result(only(got[a], c.id) == want_c and only(got[b], c.id) == want_c,
           "c's messages reach a and b exactly once, in order")
    result(not only(got[a], a.id) and not only(got[b], b.id),
           "no sender gets its own messages back")
    result(not got[other], "another room on the same relays gets none of them")

    total, ids = who_ids(a)
    result(total == 3 and sorted(ids) == sorted([a.id, b.id, c.id]),
           "WHO spans relays", "total %s ids %s" % (total, ids))
    late = rb.peer()
    result(late.members == 4, "JOINED counts members on every relay",
           "members %s" % late.members)
    late.sock.close()
    wait_left(a, late.id, 5)

    # A relay killed: its members leave everyone's presence within seconds.
    rc.proc.stop(signal.SIGKILL)
    expect_timeouts([(a, c.id), (b, c.id)],
                    "members of a killed relay leave the others' rooms (reason TIMEOUT)",
                    "the killed relay's member left a's room %.1f s after the kill")
    total, ids = who_ids(b)
    result(total == 2 and c.id not in ids, "WHO no longer lists them",
           "total %s" % total)

    # A NATS node killed: relay a reconnects to another node, traffic goes on.
    # (libnats picks among the URLs at random: find the node relay a is on)
    url = open(ra.log, errors="replace").read().rsplit("NATS connected (", 1)[1]
    k = [cl.url(i) for i in range(3)].index(url.split(")")[0])
    cl.nodes[k].stop(signal.SIGKILL)
    ok = wait_until(lambda: log_count(ra.log, "NATS connected") >= 2, 15)
    result(ok, "relay on a killed NATS node reconnects to another node")
    # Core NATS is at-most-once: until the resubscribed relays' interest has
    # reached the other nodes (and any other relay on the dead node has
    # reconnected too), a message can be lost -- the seconds of a node's
    # failover (docs/federation.md).  Probe until traffic flows both ways
    # (bounded), then every message must arrive, once and in order.
    def flowing():
        a.say(b"probe")
        b.say(b"probe")
        pb = only(relays_of(drain(b, 0.3)), a.id)
        pa = only(relays_of(drain(a, 0.3)), b.id)
        return (a.id, b"probe") in pb and (b.id, b"probe") in pa
    flows = any(flowing() for _ in range(30))
    drain(a, 0.5)
    drain(b, 0.5)
    result(flows, "traffic flows both ways again after the NATS node died")
    for i in range(20):
        a.say(b"after-%02d" % i)
        b.say(b"back-%02d" % i)
    got_b = [x for x in only(relays_of(drain(b, 1.5)), a.id) if x[1] != b"probe"]
    got_a = [x for x in only(relays_of(drain(a, 0.5)), b.id) if x[1] != b"probe"]
    result(got_b == [(a.id, b"after-%02d" % i) for i in range(20)] and
           got_a == [(b.id, b"back-%02d" % i) for i in range(20)],
           "traffic continues both ways after a NATS node died",
           "b got %d, a got %d" % (len(got_b), len(got_a)))

    # NATS down at relay start: local members served, federation once it is up.
    rd = Relay("relay-d", 4, cl.url(k))
    d1, d2 = rd.peer(), rd.peer()
    wait_joined(d1, [d2.id], 5)
    d2.say(b"local-only")
    got = relays_of(drain(d1, 1.0))
    result(got == [(d2.id, b"local-only")],
           "relay without NATS serves its local members")
    result(log_has(rd.log, "not reachable yet") and not log_has(rd.log, "NATS connected"),
           "it says NATS is not reachable, and does not claim to be connected")
    cl.start(k)
    ok = wait_until(lambda: log_has(rd.log, "NATS connected"), 20)
    result(ok, "relay connects once NATS comes up")
    ok = wait_until(lambda: rd.federated_with(ra) and ra.federated_with(rd), 15)
    result(ok, "and joins the federation")
    ok = wait_joined(a, [d1.id, d2.id], 10) and wait_joined(d1, [a.id, b.id], 10)
    result(ok, "its members and the others' see each other")
    d1.say(b"hello-from-d")
    a.say(b"hello-to-d")
    got_a = only(relays_of(drain(a, 1.0)), d1.id)
    got_d = only(relays_of(drain(d1, 0.5)), a.id)
    result(got_a == [(d1.id, b"hello-from-d")] and got_d == [(a.id, b"hello-to-d")],
           "members on the late relay talk with the others")

    # The late relay loses NATS (its only node dies): its members leave the
    # others' rooms within seconds, and come back with it.
    cl.nodes[k].stop(signal.SIGKILL)
    expect_timeouts([(a, d1.id), (a, d2.id)],
                    "members of a relay that lost NATS leave the others' rooms",
                    "they left a's room %.1f s after the NATS node died")
    result(wait_until(lambda: log_has(rd.log, "NATS connection lost"), 5),
           "that relay logs that it lost NATS")
    a.events.clear()
    cl.start(k)
    ok = wait_until(lambda: log_count(rd.log, "NATS connected") >= 2, 20)
    result(ok and wait_joined(a, [d1.id, d2.id], 10),
           "they come back when it reconnects")

    # Malformed messages on the room's subject: dropped, nobody harmed.
    room_subj = room_subject(csc.ROOM)
    inst = 0x1122334455667788
    bad = [
        b"",
        b"\x00",
        b"garbage that is not a federation message",
        fed_hdr(1, 9, inst, csc.ROOM),                       # MSG, no body
        fed_hdr(1, 9, inst, csc.ROOM) + struct.pack(">IQ", 7, 0) + b"x",  # id of relay 0
        fed_hdr(2, 9, inst, csc.ROOM) + struct.pack(">I", 9 << 24),       # id 0 of relay 9
        fed_hdr(2, 9, inst, b"another-room-id!") + struct.pack(">I", 9 << 24 | 1),  # subject mismatch
        fed_hdr(4, 9, inst, csc.ROOM) + struct.pack(">I", 1000),          # truncated snapshot
        fed_hdr(3, 9, inst, csc.ROOM) + struct.pack(">IB", 9 << 24 | 1, 200),  # bad reason
        fed_hdr(1, 0, inst, csc.ROOM) + struct.pack(">IQ", 1, 0) + b"x",  # relay 0
        fed_hdr(6, 9, 0),                                    # instance 0
        struct.pack(">BBBBQ", 2, 6, 9, 0, inst),             # version 2
        fed_hdr(6, 9, inst) + b"extra",
    ]
    items = ([(room_subj, x) for x in bad] + [(room_subject(csc.ROOM, "ctl"), x) for x in bad] +
             [("vcdchat.relays", x) for x in bad[-3:]])
    result(nats_pub(cl.ports[(k + 1) % 3], items), "malformed messages published on NATS")
    d1.say(b"still-fine")
    got_a = relays_of(drain(a, 1.0))
    result(got_a == [(d1.id, b"still-fine")],
           "relays drop them: members get nothing but real traffic",
           "got %r" % got_a[:4])
    result(all(r.proc.alive() for r in (ra, rb, rd)) and
           all(log_has(r.log, "dropped a malformed NATS message") for r in (ra, rb, rd)),
           "every relay logged them and is still running")
    result(not wait_left(a, 9 << 24 | 1, 0.5)[0] and not log_has(ra.log, "relay 9 is"),
           "no phantom relay or member appeared")

    for p in (a, b, c, d1, d2, other):
        p.sock.close()
    codes = [r.proc.stop() for r in (ra, rb, rd)]
    result(codes == [0, 0, 0], "relays exit 0 on SIGTERM", "codes %s" % codes)
    sanitizer = [r.name for r in (ra, rb, rc, rd)
                 if any(log_has(r.log, s) for s in ("ERROR: AddressSanitizer",
                                                    "ERROR: LeakSanitizer",
                                                    "runtime error:"))]
    result(not sanitizer, "no sanitizer report", " ".join(sanitizer))


def chat_client(name, port, stdin, env):
    return Proc(name, [os.path.join(BUILD, "chat-client"), "--nick", name,
                       "--linger", "30", "127.0.0.1", str(port)],
                env=env, stdin=stdin)


def two_federated_relays(prefix, extra=()):
    """A 3-node cluster and relays 1 and 2 on it (extra: more options),
    federated: (cluster, relay 1, relay 2), and the environment for
    chat-clients."""
    cl = Cluster()
    for i in range(3):
        cl.start(i)
    wait_until(lambda: all(cl.ready(i) for i in range(3)), 15)
    wait_until(lambda: all(cl.routed(i, 2) for i in range(3)), 15)
    ra = Relay(prefix + "-a", 1, cl.urls([0, 1, 2]), extra=extra)
    rb = Relay(prefix + "-b", 2, cl.urls([2, 1, 0]), extra=extra)
    wait_until(lambda: ra.federated_with(rb) and rb.federated_with(ra), 15)
    env = dict(os.environ, CHAT_PASSPHRASE="correct horse battery staple")
    env.pop("NO_COLOR", None)
    return cl, ra, rb, env


def scenario_clients():
    """Real chat-clients on two relays: end-to-end checks hold across relays;
    a forged message published on NATS is dropped by the clients."""
    cl, ra, rb, env = two_federated_relays("crelay")
    ar, aw = os.pipe()
    br, bw = os.pipe()
    alice = chat_client("alice", ra.port, ar, env)
    bob = chat_client("bob", rb.port, br, env)
    os.close(ar)
    os.close(br)
    ok = wait_until(lambda: log_has(alice.log, " joined") and
                    log_has(bob.log, " is alice"), 30)
    result(ok, "chat-clients on two relays see each other join, and alice's hello")
    os.write(aw, b"hello bob from relay a\n")
    os.write(bw, b"hello alice from relay b\n")
    ok = wait_until(lambda: log_has(bob.log, "<alice> hello bob from relay a") and
                    log_has(alice.log, "<bob> hello alice from relay b"), 15)
    result(ok, "they read each other's messages (sender ids match the relays')")
    # A forged, well-formed federation MSG with bytes that are no sealed
    # message: relays pass it on as from relay 9, clients must drop it.
    inst = 0x0102030405060708
    rid = room_id_of("lobby", env["CHAT_PASSPHRASE"])
    forged = fed_hdr(1, 9, inst, rid) + struct.pack(">IQ", 9 << 24 | 5,
                                                    int(time.time() * 1000))
    forged += bytes([2]) + struct.pack(">I", 9 << 24 | 5) + os.urandom(120)
    result(nats_pub(cl.ports[1], [(room_subject(rid), forged)]),
           "forged message published on the room's subject")
    ok = wait_until(lambda: log_has(bob.log, "cannot authenticate") and
                    log_has(alice.log, "cannot authenticate"), 10)
    result(ok, "clients refuse it (cannot authenticate)")
    os.write(aw, b"still talking\n")
    ok = wait_until(lambda: log_has(bob.log, "<alice> still talking"), 10)
    result(ok and alice.alive() and bob.alive(), "and carry on")
    os.close(aw)
    os.close(bw)
    alice.stop()
    bob.stop()
    result(log_count(bob.log, "hello bob from relay a") == 1,
           "the message was shown once")
    for r in (ra, rb):
        r.proc.stop()


def client_id(path, n):
    """The id of a client's n-th connection, from its log ("connected as
    NICK (ID)", "reconnected to ... as NICK (ID)")."""
    import re
    try:
        with open(path, errors="replace") as f:
            ids = re.findall(r"connected (?:to \S+ )?as \S+ \((\d+)\)", f.read())
    except OSError:
        return "?"
    return ids[n] if len(ids) > n else "?"


def message_lines(path):
    """The '<nick> text' part of every message line of a client's log
    (live, or marked as history)."""
    try:
        with open(path, errors="replace") as f:
            return [ln.split("] ", 1)[1].replace("(history) ", "", 1)
                    for ln in f.read().splitlines()
                    if "] <" in ln or "] (history) <" in ln]
    except OSError:
        return []


def scenario_failover():
    """A chat-client given both relays (--server r1 --server r2) fails over
    when its relay is killed: it reconnects to the other, rejoins, says its
    nick again, and messages both ways arrive exactly once, also one sent
    while it was reconnecting (live, or as history when it came first)."""
    _, r1, r2, env = two_federated_relays("frelay")
    ar, aw = os.pipe()
    br, bw = os.pipe()
    alice = Proc("falice", [os.path.join(BUILD, "chat-client"), "--nick", "alice",
                            "--server", "127.0.0.1:%d" % r1.port,
                            "--server", "127.0.0.1:%d" % r2.port],
                 env=env, stdin=ar)
    bob = Proc("fbob", [os.path.join(BUILD, "chat-client"), "--nick", "bob",
                        "127.0.0.1", str(r2.port)], env=env, stdin=br)
    os.close(ar)
    os.close(br)
    # (not bob's hello at alice: published within a moment of his join on
    # relay 2 it can still miss relay 1's subscription, see c8c95eb)
    ok = wait_until(lambda: log_has(alice.log, "connected as alice") and
                    log_has(alice.log, " joined") and log_has(bob.log, " is alice"), 30)
    result(ok, "failover: alice on relay 1 (first of her list), bob on relay 2, see each other")
    os.write(aw, b"alice before the failover\n")
    os.write(bw, b"bob before the failover\n")
    ok = wait_until(lambda: log_has(bob.log, "<alice> alice before the failover") and
                    log_has(alice.log, "<bob> bob before the failover"), 15)
    result(ok, "failover: messages both ways before relay 1 dies")
    r1.proc.stop(signal.SIGKILL)
    os.write(bw, b"bob during the failover\n")
    ok = wait_until(lambda: log_has(alice.log, "reconnected to 127.0.0.1:%d as alice" % r2.port), 15)
    result(ok and log_has(alice.log, "connection to 127.0.0.1:%d lost (" % r1.port),
           "failover: relay 1 killed, alice says so and reconnects to relay 2")
    ok = wait_until(lambda: log_count(alice.log, "you joined lobby") == 2, 10)
    result(ok, "failover: alice rejoins her room")
    ok = wait_until(lambda: log_count(bob.log, " is alice") == 2, 10)
    result(ok, "failover: alice announces her nick again (bob sees her new id as alice)")
    result(log_has(bob.log, "alice (%s) reconnected as " % client_id(alice.log, 0)) and
           not log_has(bob.log, "both go by"),
           "failover: bob is told alice reconnected (same epoch), no nick-clash warning")
    os.write(aw, b"alice after the failover\n")
    os.write(bw, b"bob after the failover\n")
    ok = wait_until(lambda: log_has(bob.log, "<alice> alice after the failover") and
                    log_has(alice.log, "<bob> bob after the failover"), 15)
    result(ok, "failover: messages both ways after it")
    # relay 2 tells both that alice's old id left (relay 1's heartbeats stop)
    ok = wait_until(lambda: log_has(alice.log, "your previous connection (%s) left"
                                    % client_id(alice.log, 0)) and
                    log_has(bob.log, "alice (%s) left" % client_id(alice.log, 0)), 15)
    result(ok, "failover: alice's old id leaves (alice sees it as her previous connection)")
    os.close(aw)
    os.close(bw)
    alice.stop()
    bob.stop()
    for who, lines, n in (("alice", message_lines(alice.log), 3),
                          ("bob", message_lines(bob.log), 2)):
        dup = sorted(set(ln for ln in lines if lines.count(ln) > 1))
        result(len(lines) == n and not dup,
               "failover: %s's screen shows each of the %d messages once" % (who, n),
               "lines %r" % lines)
    result("<bob> bob during the failover" in message_lines(alice.log),
           "failover: alice got what bob said while she reconnected")
    warn = [w for w in ("dropped a", "cannot authenticate")
            if log_has(alice.log, w) or log_has(bob.log, w)]
    result(not warn, "failover: no message refused (epoch and sequence numbers kept)",
           " ".join(warn))
    sanitizer = [p.name for p in (alice, bob, r2.proc)
                 if any(log_has(p.log, t) for t in ("ERROR: AddressSanitizer",
                                                     "ERROR: LeakSanitizer",
                                                     "runtime error:"))]
    result(not sanitizer, "failover: no sanitizer report", " ".join(sanitizer))
    r2.proc.stop()


def wait_history(peer, n, timeout=10):
    """Read until peer holds n HISTORY frames (or timeout): [(sender, ms,
    bytes)] of them."""
    end = time.monotonic() + timeout
    peer.sock.settimeout(0.2)
    try:
        while len(peer.history) < n and time.monotonic() < end:
            peer.read()
    finally:
        peer.sock.settimeout(csc.TIMEOUT)
    return [csc.relay(h) for h in peer.history]


def scenario_history():
    """Room history in JetStream: a member who joins on a relay where the
    room has nobody yet gets what was said on another relay (HISTORY frames:
    the RELAYs' sender, time and bytes, in order), and so does one who joins
    a relay that restarted since (the stream outlives relays); a malformed
    message published on the room's message subject is kept by the stream
    but dropped by the relays that read it."""
    cl, ra, rb, _ = two_federated_relays("hrelay")
    ok = wait_until(lambda: all(log_has(r.log, "room history in JetStream stream")
                                for r in (ra, rb)), 30)
    result(ok, "history: both relays keep room history in the JetStream stream")
    room = b"history-room-id!"
    a, watcher = ra.peer(room), ra.peer(room)
    result(nats_pub(cl.ports[1], [(room_subject(room), b"garbage in the stream")]),
           "history: a malformed message published on the room's message subject")
    for i in range(5):
        a.say(b"history-%d" % i)
    got = []
    watcher.sock.settimeout(5)
    while len(got) < 5:
        p = watcher.expect(csc.T_RELAY)
        if p is None:
            break
        got.append(csc.relay(p))
    watcher.sock.settimeout(csc.TIMEOUT)
    result(len(got) == 5, "history: 5 messages said on relay 1")
    held = []
    ok = wait_until(lambda: held.append(stream_msgs(cl.ports[2])) or
                    (held[-1] or 0) >= 6, 10, 0.2)
    result(ok, "history: the stream holds them (and the malformed one)",
           "stream messages: %s" % held[-1:])
    b = rb.peer(room)
    hist = wait_history(b, 5)
    result(hist == got, "history: a late joiner on relay 2 (the room's first "
           "member there) gets them from JetStream, in order, as relayed",
           "got %r" % [h[2] for h in hist])
    b.say(b"said on relay 2")
    p = watcher.expect(csc.T_RELAY)
    result(p is not None and csc.relay(p)[2] == b"said on relay 2",
           "history: and talks live with relay 1")
    for x in (a, watcher):
        x.close()
    ra.proc.stop()
    ra2 = Relay("hrelay-a2", 1, cl.urls([1, 0, 2]))
    wait_until(lambda: log_has(ra2.log, "room history in JetStream stream"), 30)
    c = ra2.peer(room)
    hist = wait_history(c, 6)
    result([h[2] for h in hist] == [g[2] for g in got] + [b"said on relay 2"],
           "history: after relay 1 restarted, a member joining there gets all 6",
           "got %r" % [h[2] for h in hist])
    result(all(log_has(r.log, "dropped a malformed NATS message") for r in (rb, ra2)),
           "history: the malformed message in the stream was dropped by both relays")
    for x in (b, c):
        x.close()
    codes = [r.proc.stop() for r in (rb, ra2)]
    result(codes == [0, 0], "history: relays exit 0 on SIGTERM", "codes %s" % codes)


def scenario_replicas():
    """History with --history-replicas 3 survives the loss of the NATS node
    that leads the stream: a member joining afterwards, on a relay where
    the room is new, still gets it."""
    cl, ra, rb, _ = two_federated_relays("rrelay", ("--history-replicas", "3"))
    ok = wait_until(lambda: all(log_has(r.log, "room history in JetStream stream")
                                for r in (ra, rb)), 30)
    result(ok, "replicas: both relays keep history in the JetStream stream")
    room = b"replicated-room!"
    a = ra.peer(room)
    for i in range(3):
        a.say(b"kept-%d" % i)
    info = []
    ok = wait_until(lambda: info.append(stream_info(cl.ports[1])) or
                    (info[-1] and info[-1]["state"]["messages"] >= 3 and
                     len(info[-1].get("cluster", {}).get("replicas", [])) == 2), 15, 0.2)
    leader = (info[-1] or {}).get("cluster", {}).get("leader", "")
    result(ok and leader.startswith("node"),
           "replicas: the stream holds the 3 messages on 3 nodes (leader %s)" % leader,
           "stream info: %s" % (info[-1] and info[-1].get("cluster")))
    if not leader.startswith("node"):
        return
    dead = int(leader[4:])
    cl.nodes[dead].stop(signal.SIGKILL)
    alive = [i for i in range(3) if i != dead]
    ok = wait_until(lambda: info.append(stream_info(cl.ports[alive[0]])) or
                    (info[-1] and info[-1].get("cluster", {}).get("leader") not in
                     (None, "", leader)), 20, 0.3)
    result(ok, "replicas: node %d (the stream's leader) killed, another leads it" % dead)
    b = rb.peer(room)
    hist = wait_history(b, 3, 20)
    result([h[2] for h in hist] == [b"kept-%d" % i for i in range(3)],
           "replicas: a member joining on relay 2 afterwards gets the history",
           "got %r" % [h[2] for h in hist])
    for x in (a, b):
        x.close()
    codes = [r.proc.stop() for r in (ra, rb)]
    result(codes == [0, 0], "replicas: relays exit 0 on SIGTERM", "codes %s" % codes)


def room_id_of(name, passphrase):
    import chat_room_id
    return bytes.fromhex(chat_room_id.room_id(passphrase, name))


def main():
    global BUILD, TMP
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    BUILD = sys.argv[1]
    scenarios = sys.argv[2:] or ["all", "clients", "failover", "history", "replicas"]
    if not shutil.which("nats-server"):
        result(False, "nats-server installed (tools/install-deps)")
        return 1
    TMP = tempfile.mkdtemp(prefix="chat-fed.")
    try:
        for name in scenarios:
            try:
                globals()["scenario_" + name]()
            except Exception as e:  # a broken scenario is a failure, not a hang
                result(False, "scenario %s ran" % name, repr(e))
            for p in PROCS:
                p.stop(signal.SIGKILL, 5)
            del PROCS[:]
    finally:
        for p in PROCS:
            p.stop(signal.SIGKILL, 5)
        if RESULTS["fail"]:
            print("logs kept in " + TMP)
        else:
            shutil.rmtree(TMP, ignore_errors=True)
    print("%d passed, %d failed" % (RESULTS["pass"], RESULTS["fail"]))
    return 1 if RESULTS["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
