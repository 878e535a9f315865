#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""chat_fake_server.py - a scripted stand-in for chat-server, to test how
chat-client reacts to servers that misbehave or to timings a real server
does not produce on demand.

Usage: chat_fake_server.py PORT MODE
Listens on 127.0.0.1:PORT, prints "ready", serves the connections MODE
needs, then exits 0 (non-zero with a reason if a client did not behave as
the mode expects).  Modes:
  version4  answer every connection with a frame of protocol version 4
  error     send WELCOME, then ERROR(code 3, "bad things") and close
  linger    per connection: WELCOME, JOINED for its JOIN, wait for the
            client's first SEND (its hello), wait 1 s, send a PRESENCE batch
            with the client's own join and the join of id 42, then close
            once the client has shut down its side.  Serves two connections.
  replay    a malicious relay, two clients (ids 1 and 2): each SEND of
            client 1 is relayed to client 2 twice (a replay), once more as
            coming from id 3 (a re-labelled sender), and the messages are
            also relayed again in reverse order (reordered replays); client
            2's SENDs are dropped.  Ends when both clients have closed.
  restart   a relay that records and replays into a "restarted" room: client
            1's SENDs are recorded until it closes; after WAIT seconds
            (argument 3, default 11) a second client is served: each
            recorded message is relayed to it with a fresh server time, as
            from id 1 and as from a new id 9; then the connection is closed.
  rejoin    a relay that tries to use a client's reconnect: client R (id
            2) joins, then client S1 (id 1), whose SENDs are relayed to R,
            then client S2 (id 3), whose SENDs are withheld; WAIT seconds
            (argument 3, default 11) after S2 closed, R's connection is
            closed ("closed"); when R reconnects (id 4) and joins again,
            S1's messages are relayed to it again and S2's for the first
            time, all with fresh server times ("replayed"); then closed.
  history   client 1's SENDs are recorded until it closes; after WAIT
            seconds (argument 3, default 11: beyond the join-time rule) a
            second client (id 2) is served: each recorded message comes as
            HISTORY from id 1, then all again as HISTORY (a duplicate), then
            as HISTORY re-labelled as from id 9 ("replayed"); then the
            connection is closed.
  rooms     print the room id of every JOIN (hex, one line "join ID") and
            answer JOINED; serves connections until none has come for 3 s.
The server chooses nothing the keys depend on: there is no salt to offer
(tests compare the room ids with an independent derivation).  Frames as in
docs/protocol.md.  Every wait is bounded (socket timeouts).
"""
import socket
import struct
import sys
import time

VERSION = 3
T_SEND, T_JOIN = 0x01, 0x04
T_WELCOME, T_JOINED, T_RELAY, T_ERROR, T_PRESENCE = 0x81, 0x82, 0x84, 0x87, 0x89
T_HISTORY = 0x8A
P_JOINED = 1
TIMEOUT = 20.0


def frame(ftype, payload, version=VERSION):
    return struct.pack(">BBHI", version, ftype, 0, len(payload)) + payload


def welcome(cid, clients):
    return frame(T_WELCOME, struct.pack(">III", cid, clients, 64))


def now_ms():
    return int(time.time() * 1000)


def joined(room, clients, *ids):
    """A PRESENCE frame of room: these ids joined, in this order."""
    return frame(T_PRESENCE, room + struct.pack(">QII", now_ms(), clients, len(ids)) +
                 b"".join(struct.pack(">IBB", i, P_JOINED, 0) for i in ids))


def relay(room, sender, msg, ftype=T_RELAY):
    """A RELAY (or, with ftype, a HISTORY) of msg as from sender, now."""
    return frame(ftype, room + struct.pack(">IQ", sender, now_ms()) + msg)


def answer_join(conn, buf, members=1):
    """Read until the client's JOIN, answer JOINED; (room, the frames that
    came after the JOIN in the same read, rest of buf, eof)."""
    eof = False
    while not eof:
        frames, buf, eof = read_frames(conn, buf)
        for i, (ftype, payload) in enumerate(frames):
            if ftype == T_JOIN:
                conn.sendall(frame(T_JOINED, payload + struct.pack(">I", members)))
                return payload, frames[i + 1:], buf, eof
    return None, [], buf, True


def read_frames(sock, buf):
    """Read once; return (frames, rest, eof)."""
    data = sock.recv(1 << 20)
    if not data:
        return [], buf, True
    buf += data
    out = []
    while len(buf) >= 8:
        ver, ftype, _flags, length = struct.unpack(">BBHI", buf[:8])
        if len(buf) < 8 + length:
            break
        out.append((ftype, buf[8:8 + length]))
        buf = buf[8 + length:]
    return out, buf, False


def mode_version4(ls):
    conn, _ = ls.accept()
    conn.sendall(frame(T_WELCOME, struct.pack(">III", 1, 1, 64), version=4))
    time.sleep(0.5)
    conn.close()


def mode_error(ls):
    conn, _ = ls.accept()
    conn.sendall(welcome(1, 1))
    conn.sendall(frame(T_ERROR, bytes([3]) + b"bad things"))
    # FIN, not RST: closing with the client's HELLO/JOIN unread would reset
    # the connection, and a client slow to read (a loaded host) could then
    # lose the ERROR frame; so read until the client hangs up (5 s at most)
    conn.shutdown(socket.SHUT_WR)
    conn.settimeout(5)
    try:
        while conn.recv(1 << 16):
            pass
    except OSError:
        pass
    conn.close()


def mode_linger(ls):
    for cid in (1, 2):
        conn, _ = ls.accept()
        conn.settimeout(TIMEOUT)
        conn.sendall(welcome(cid, 1))
        room, frames, buf, eof = answer_join(conn, b"")
        hello = any(t == T_SEND for t, _ in frames)
        while not eof and not hello:    # the client's first SEND: its hello
            frames, buf, eof = read_frames(conn, buf)
            hello = any(t == T_SEND for t, _ in frames)
        time.sleep(1.0)
        try:
            conn.sendall(joined(room, 2, cid, 42))
        except OSError:
            pass
        while not eof:                  # until the client shuts down
            _, buf, eof = read_frames(conn, buf)
        conn.close()


def mode_replay(ls):
    a, _ = ls.accept()
    print("accepted 1", flush=True)
    a.settimeout(TIMEOUT)
    a.sendall(welcome(1, 1))
    room, frames, abuf, eof = answer_join(a, b"")
    b, _ = ls.accept()
    b.settimeout(TIMEOUT)
    b.sendall(welcome(2, 2))
    answer_join(b, b"", 2)
    a.sendall(joined(room, 2, 1, 2))
    seen = []
    while True:
        for ftype, payload in frames:
            if ftype != T_SEND:
                continue
            msg = payload[16:]
            seen.append(msg)
            for sender in (1, 1, 3):
                b.sendall(relay(room, sender, msg))
        if eof:
            break
        frames, abuf, eof = read_frames(a, abuf)
    for msg in reversed(seen):          # every one again, the order reversed
        b.sendall(relay(room, 1, msg))
    a.close()
    time.sleep(0.5)
    b.close()


def mode_restart(ls, wait_s=11.0):
    a, _ = ls.accept()
    a.settimeout(TIMEOUT)
    a.sendall(welcome(1, 1))
    room, frames, buf, eof = answer_join(a, b"")
    recorded = [p[16:] for t, p in frames if t == T_SEND]
    while not eof:
        frames, buf, eof = read_frames(a, buf)
        recorded += [p[16:] for t, p in frames if t == T_SEND]
    a.close()
    print("recorded %d" % len(recorded), flush=True)
    time.sleep(wait_s)
    b, _ = ls.accept()
    b.settimeout(TIMEOUT)
    b.sendall(welcome(1, 1))            # a "restarted" server: ids start again
    answer_join(b, b"")
    b.sendall(joined(room, 2, 1, 9))
    for sender in (1, 9):
        for msg in recorded:
            b.sendall(relay(room, sender, msg))
    print("replayed", flush=True)
    time.sleep(1.0)
    b.close()


def mode_history(ls, wait_s=11.0):
    a, room, frames, buf, eof = serve_join(ls, 1, 1)
    recorded = sends_until_eof(a, frames, buf, eof)
    a.close()
    print("recorded %d" % len(recorded), flush=True)
    time.sleep(wait_s)
    b, _, _, _, _ = serve_join(ls, 2, 1)
    for ftype, sender in ((T_HISTORY, 1), (T_HISTORY, 1), (T_HISTORY, 9)):
        for msg in recorded:
            b.sendall(relay(room, sender, msg, ftype))
    print("replayed", flush=True)
    time.sleep(1.0)
    b.close()


def sends_until_eof(conn, frames, buf, eof):
    """The sealed messages (after the room id) of conn's SENDs, in order,
    until it closes; frames: those already read."""
    out = [p[16:] for t, p in frames if t == T_SEND]
    while not eof:
        frames, buf, eof = read_frames(conn, buf)
        out += [p[16:] for t, p in frames if t == T_SEND]
    return out


def serve_join(ls, cid, members):
    """Accept a connection as id cid, answer its JOIN: (conn, room, frames
    after the JOIN, rest of buf, eof)."""
    conn, _ = ls.accept()
    conn.settimeout(TIMEOUT)
    conn.sendall(welcome(cid, members))
    return (conn,) + answer_join(conn, b"", members)


def mode_rejoin(ls, wait_s=11.0):
    r, room, _, _, _ = serve_join(ls, 2, 1)
    s1, _, frames, buf, eof = serve_join(ls, 1, 2)
    seen = []
    for msg in sends_until_eof(s1, frames, buf, eof):
        r.sendall(relay(room, 1, msg))
        seen.append(msg)
    s1.close()
    s2, _, frames, buf, eof = serve_join(ls, 3, 2)
    withheld = sends_until_eof(s2, frames, buf, eof)
    s2.close()
    print("recorded %d %d" % (len(seen), len(withheld)), flush=True)
    time.sleep(wait_s)
    r.close()
    print("closed", flush=True)
    r = serve_join(ls, 4, 1)[0]
    for sender, msgs in ((1, seen), (3, withheld)):
        for msg in msgs:
            r.sendall(relay(room, sender, msg))
    print("replayed", flush=True)
    time.sleep(1.0)
    r.close()


def mode_rooms(ls):
    ls.settimeout(3.0)
    cid = 0
    while True:
        try:
            conn, _ = ls.accept()
        except socket.timeout:
            return
        cid += 1
        conn.settimeout(TIMEOUT)
        conn.sendall(welcome(cid, cid))
        buf, eof = b"", False
        deadline = time.time() + 10
        while not eof and time.time() < deadline:
            frames, buf, eof = read_frames(conn, buf)
            for ftype, payload in frames:
                if ftype == T_JOIN:
                    print("join " + payload.hex(), flush=True)
                    conn.sendall(frame(T_JOINED, payload + struct.pack(">I", 1)))
        conn.close()


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(4)
    ls.settimeout(TIMEOUT)
    print("ready", flush=True)
    modes = {"version4": mode_version4, "error": mode_error, "linger": mode_linger,
             "replay": mode_replay, "restart": mode_restart, "rooms": mode_rooms,
             "rejoin": mode_rejoin, "history": mode_history}
    if mode in ("restart", "rejoin", "history") and len(sys.argv) > 3:
        modes[mode](ls, float(sys.argv[3]))
    else:
        modes[mode](ls)


if __name__ == "__main__":
    main()
