#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""chat_fake_server.py - a scripted stand-in for chat-server, to test how
chat-client reacts to servers that misbehave or to timings a real server
does not produce on demand.

Usage: chat_fake_server.py PORT MODE
Listens on 127.0.0.1:PORT, prints "ready", serves the connections MODE
needs, then exits 0 (non-zero with a reason if a client did not behave as
the mode expects).  Modes:
  version3  answer every connection with a frame of protocol version 3
  error     send WELCOME, then ERROR(code 3, "bad things") and close
  linger    per connection: WELCOME, wait for the client's first SEND (its
            hello, sent right after its keys are ready), wait 1 s, send a
            PRESENCE batch with the client's own join and the join of id 42,
            then close once the client has shut down its side.  Serves two
            connections.
  replay    two clients (ids 1 and 2, same salt): each SEND of client 1 is
            relayed to client 2 twice (a replay) and once more as coming
            from id 3 (a re-attribution); client 2's SENDs are dropped.
            Ends when both clients have closed.
Frames as in docs/protocol.md.  Every wait is bounded (socket timeouts).
"""
import socket
import struct
import sys
import time

VERSION = 2
T_SEND, T_WELCOME, T_RELAY, T_ERROR, T_PRESENCE = 0x01, 0x81, 0x84, 0x87, 0x89
P_JOINED = 1
SALT = bytes(range(16))
TIMEOUT = 20.0


def frame(ftype, payload, version=VERSION):
    return struct.pack(">BBHI", version, ftype, 0, len(payload)) + payload


def welcome(cid, clients):
    return frame(T_WELCOME, struct.pack(">II", cid, clients) + SALT)


def now_ms():
    return int(time.time() * 1000)


def joined(clients, *ids):
    """A PRESENCE frame: these ids joined, in this order."""
    return frame(T_PRESENCE, struct.pack(">QII", now_ms(), clients, len(ids)) +
                 b"".join(struct.pack(">IBB", i, P_JOINED, 0) for i in ids))


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


def mode_version3(ls):
    conn, _ = ls.accept()
    conn.sendall(frame(T_WELCOME, struct.pack(">II", 1, 1) + SALT, version=3))
    time.sleep(0.5)
    conn.close()


def mode_error(ls):
    conn, _ = ls.accept()
    conn.sendall(welcome(1, 1))
    conn.sendall(frame(T_ERROR, bytes([3]) + b"bad things"))
    time.sleep(0.2)
    conn.close()


def mode_linger(ls):
    for cid in (1, 2):
        conn, _ = ls.accept()
        conn.settimeout(TIMEOUT)
        conn.sendall(welcome(cid, 1))
        buf, eof, hello = b"", False, False
        while not eof and not hello:    # the client's first SEND: its hello
            frames, buf, eof = read_frames(conn, buf)
            hello = any(t == T_SEND for t, _ in frames)
        time.sleep(1.0)
        try:
            conn.sendall(joined(2, cid, 42))
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
    b, _ = ls.accept()
    b.settimeout(TIMEOUT)
    b.sendall(welcome(2, 2))
    a.sendall(joined(2, 1, 2))
    buf, eof = b"", False
    while not eof:
        frames, buf, eof = read_frames(a, buf)
        for ftype, payload in frames:
            if ftype != T_SEND:
                continue
            for sender in (1, 1, 3):
                b.sendall(frame(T_RELAY, struct.pack(">IQ", sender, now_ms()) + payload))
    a.close()
    time.sleep(0.5)
    b.close()


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(4)
    ls.settimeout(TIMEOUT)
    print("ready", flush=True)
    {"version3": mode_version3, "error": mode_error, "linger": mode_linger,
     "replay": mode_replay}[mode](ls)


if __name__ == "__main__":
    main()
