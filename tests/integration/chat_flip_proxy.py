#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""chat_flip_proxy.py - a TCP proxy that flips one bit in chat SEND frames.

Usage: chat_flip_proxy.py LISTEN_PORT SERVER_PORT [--offset N] [--bit B]
Listens on 127.0.0.1:LISTEN_PORT and forwards each connection to
127.0.0.1:SERVER_PORT.  In the client-to-server direction it cuts the stream
into frames (docs/protocol.md: 8-byte header, big-endian u32 length) and in
every SEND frame flips bit B (default 0) of payload byte N (default 40, in
the ciphertext; a negative N counts from the end, -1 is the last MAC byte).
The server-to-client direction passes unchanged.  Prints "ready" once
listening.  Used by tests/suite-30-chat-client.sh to show that the
receiving clients reject a message altered on the wire.
Owns nothing else; stops on SIGTERM or when its parent closes stdin.
"""
import argparse
import socket
import struct
import sys
import threading

T_SEND = 0x01


def half_close(sock):
    """Pass the end of one direction on, keep the other one open."""
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def pump_plain(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    half_close(dst)


def pump_flip(src, dst, offset, bit):
    buf = b""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            buf += data
            while len(buf) >= 8:
                (length,) = struct.unpack(">I", buf[4:8])
                if len(buf) < 8 + length:
                    break
                frame = bytearray(buf[:8 + length])
                buf = buf[8 + length:]
                if frame[1] == T_SEND and length > 0:
                    i = offset if offset >= 0 else length + offset
                    if 0 <= i < length:
                        frame[8 + i] ^= 1 << bit
                dst.sendall(bytes(frame))
    except OSError:
        pass
    half_close(dst)


def serve(conn, server_port, offset, bit):
    try:
        up = socket.create_connection(("127.0.0.1", server_port), timeout=10)
        up.settimeout(None)
    except OSError:
        conn.close()
        return
    t1 = threading.Thread(target=pump_flip, args=(conn, up, offset, bit), daemon=True)
    t2 = threading.Thread(target=pump_plain, args=(up, conn), daemon=True)
    t1.start()
    t2.start()
    t1.join()
    t2.join()
    conn.close()
    up.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("listen_port", type=int)
    ap.add_argument("server_port", type=int)
    ap.add_argument("--offset", type=int, default=40)
    ap.add_argument("--bit", type=int, default=0)
    a = ap.parse_args()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.listen_port))
    ls.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve, args=(conn, a.server_port, a.offset, a.bit),
                         daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
