# SPDX-License-Identifier: GPL-2.0-or-later
"""vhost_user_frontend.py - a scripted vhost-user front-end, what QEMU's
cryptodev-vhost-user does, for tests and benchmarks of vhost-user-crypto.

Owns: the message framing, negotiation, memfd guest RAM, one split ring
(descriptor table, avail and used rings in guest memory), symmetric session
creation, and requests laid out as the Linux driver does (an indirect table:
72-byte header, IV, src | dst, status).  Does not check the daemon's crypto
beyond what a caller asks (the callers compare with known answers).
"""
import mmap
import os
import select
import socket
import struct

GET_FEATURES, SET_FEATURES, SET_OWNER = 1, 2, 3
SET_MEM_TABLE, SET_VRING_NUM, SET_VRING_ADDR = 5, 8, 9
SET_VRING_BASE, GET_VRING_BASE, SET_VRING_KICK, SET_VRING_CALL = 10, 11, 12, 13
GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES = 15, 16
CREATE_CRYPTO_SESSION, CLOSE_CRYPTO_SESSION = 26, 27
WANT_FEATURES = (1 << 32) | (1 << 28) | (1 << 29) | (1 << 30)

BASE, UVA = 0x100000, 0x7F0000100000
DESC, AVAIL, USED = 0, 0x100000 - 0x80000, 0x100000 - 0x40000


def u64(v):
    return struct.pack("<Q", v)


class Frontend:
    def __init__(self, sock_path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(sock_path)
        self.s.settimeout(timeout)
        self.m = None

    def send(self, req, payload=b"", flags=1, fds=()):
        data = struct.pack("<III", req, flags, len(payload)) + payload
        if fds:
            socket.send_fds(self.s, [data], list(fds))
        else:
            self.s.sendall(data)

    def recv(self, req):
        hdr = b""
        while len(hdr) < 12:
            c = self.s.recv(12 - len(hdr))
            assert c, "connection closed"
            hdr += c
        r, flags, size = struct.unpack("<III", hdr)
        assert r == req, (r, req)
        assert flags == 5, hex(flags)
        body = b""
        while len(body) < size:
            body += self.s.recv(size - len(body))
        return body

    def features(self):
        self.send(GET_FEATURES)
        return struct.unpack("<Q", self.recv(GET_FEATURES))[0]

    def setup(self, mem=1 << 20, num=16):
        """Protocol features, owner, features, memory, ring 0 with eventfds."""
        assert self.features() == WANT_FEATURES
        self.send(GET_PROTOCOL_FEATURES)
        pf = struct.unpack("<Q", self.recv(GET_PROTOCOL_FEATURES))[0]
        assert pf & (1 << 7) and pf & (1 << 3), hex(pf)
        self.send(SET_PROTOCOL_FEATURES, u64(pf))
        self.send(SET_OWNER)
        self.send(SET_FEATURES, u64(1 << 30))
        self.mem, self.num = mem, num
        fd = os.memfd_create("guest")
        os.ftruncate(fd, mem)
        self.m = mmap.mmap(fd, mem)
        self.send(SET_MEM_TABLE, struct.pack("<II", 1, 0) +
                  struct.pack("<QQQQ", BASE, mem, UVA, 0), flags=9, fds=[fd])
        assert struct.unpack("<Q", self.recv(SET_MEM_TABLE))[0] == 0
        os.close(fd)
        # rings at fixed offsets from the end of the first MiB
        self.desc, self.avail, self.used = DESC, AVAIL, USED
        self.send(SET_VRING_NUM, struct.pack("<II", 0, num))
        self.send(SET_VRING_BASE, struct.pack("<II", 0, 0))
        self.send(SET_VRING_ADDR, struct.pack("<IIQQQQ", 0, 0, UVA + DESC,
                                              UVA + USED, UVA + AVAIL, 0))
        self.call = os.eventfd(0, os.EFD_NONBLOCK)
        self.kick = os.eventfd(0, os.EFD_NONBLOCK)
        self.send(SET_VRING_CALL, u64(0), fds=[self.call])
        self.send(SET_VRING_KICK, u64(0), fds=[self.kick])
        self.avail_idx = 0
        self.used_seen = 0

    def create_cbc_session(self, key, direction=1):
        """An AES-CBC session (direction 1 encrypt, 2 decrypt); returns its
        id (< 0: -status)."""
        sess = bytearray(1072)
        sess[0:8] = u64(2)                               # CIPHER_CREATE_SESSION
        sess[8:16] = struct.pack("<II", 3, len(key))     # AES-CBC
        sess[32], sess[33] = 1, direction                # CIPHER, direction
        sess[56:56 + len(key)] = key
        self.send(CREATE_CRYPTO_SESSION, bytes(sess))
        return struct.unpack("<q", self.recv(CREATE_CRYPTO_SESSION)[1064:1072])[0]

    def close_session(self, sid):
        """CLOSE_CRYPTO_SESSION with a REPLY_ACK: True if the daemon had it."""
        self.send(CLOSE_CRYPTO_SESSION, u64(sid), flags=9)
        return struct.unpack("<Q", self.recv(CLOSE_CRYPTO_SESSION))[0] == 0

    def put_cbc_request(self, head, sid, table, hdr_at, iv, src_at, dst_at, length,
                        opcode=0):
        """Write descriptor `head` as an indirect table at guest offset
        `table` describing an AES-CBC encryption (opcode 0; 1 decrypts) of
        `length` bytes: header and IV at hdr_at (the IV at +80), src at
        src_at, dst at dst_at, the status byte at hdr_at + 112."""
        m = self.m
        hdr = struct.pack("<IIQII", opcode, 0, sid, 0, 0) + struct.pack("<III", 16, length, length)
        m[hdr_at:hdr_at + 72] = hdr.ljust(64, b"\0") + struct.pack("<II", 1, 0)
        m[hdr_at + 80:hdr_at + 96] = iv
        m[hdr_at + 112] = 0xAA
        segs = [(hdr_at, 72, 0), (hdr_at + 80, 16, 0), (src_at, length, 0),
                (dst_at, length, 2), (hdr_at + 112, 1, 2)]
        for i, (a, ln, f) in enumerate(segs):
            m[table + 16 * i:table + 16 * i + 16] = struct.pack(
                "<QIHH", BASE + a, ln, f | (1 if i < 4 else 0), i + 1)
        d = self.desc + 16 * head
        m[d:d + 16] = struct.pack("<QIHH", BASE + table, 16 * len(segs), 4, 0)

    def publish(self, head):
        a = self.avail + 4 + 2 * (self.avail_idx % self.num)
        self.m[a:a + 2] = struct.pack("<H", head)
        self.avail_idx = (self.avail_idx + 1) & 0xFFFF
        self.m[self.avail + 2:self.avail + 4] = struct.pack("<H", self.avail_idx)

    def kick_ring(self):
        os.eventfd_write(self.kick, 1)

    def wait_call(self, timeout=10):
        r, _, _ = select.select([self.call], [], [], timeout)
        if r:
            os.eventfd_read(self.call)
        return bool(r)

    def reap(self):
        """Heads the daemon completed since the last call."""
        idx = struct.unpack("<H", self.m[self.used + 2:self.used + 4])[0]
        heads = []
        while self.used_seen != idx:
            e = self.used + 4 + 8 * (self.used_seen % self.num)
            heads.append(struct.unpack("<I", self.m[e:e + 4])[0])
            self.used_seen = (self.used_seen + 1) & 0xFFFF
        # EVENT_IDX: interrupt me on the next completion (used_event)
        e = self.avail + 4 + 2 * self.num
        self.m[e:e + 2] = struct.pack("<H", self.used_seen)
        return heads

    def get_vring_base(self):
        self.send(GET_VRING_BASE, struct.pack("<II", 0, 0))
        return struct.unpack("<II", self.recv(GET_VRING_BASE))
