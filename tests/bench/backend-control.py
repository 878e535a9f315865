#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""backend-control.py SOCKET SIZE SECONDS - how long vhost-user-crypto takes
to answer CREATE_SESSION while the guest floods it with large requests.

QEMU waits for the CREATE_SESSION reply synchronously (the vCPU that asked
is stopped meanwhile), so a daemon busy with one guest's bulk work must still
answer its control messages at once.  A scripted front-end
(tests/integration/vhost_user_frontend.py) keeps a 64-entry ring full of
AES-128-CBC requests of SIZE bytes (republishing each head as soon as it is
used) and every 10 ms creates a session, timing the reply.  Prints the
request rate and the reply latency (median, p99, worst) in one line:
  size=N requests/s=R MB/s=M creates=C p50_ms=A p99_ms=B max_ms=W
Never fails on speed (make bench reads the figures, the target is < 50 ms).
"""
import os
import select
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from vhost_user_frontend import Frontend  # noqa: E402

sock, size, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
NUM = 64
AREA = 1 << 20                       # rings, tables and headers
mem = AREA + 2 * size
fe = Frontend(sock, timeout=30)
fe.setup(mem=mem, num=NUM)
key = bytes(range(16))
sid = fe.create_cbc_session(key)
assert sid >= 0, sid
SRC, DST = AREA, AREA + size
fe.m[SRC:SRC + size] = os.urandom(1024) * (size // 1024)
for head in range(NUM):
    fe.put_cbc_request(head, sid, 0x10000 + 0x100 * head, 0x20000 + 0x100 * head,
                       bytes(16), SRC, DST, size)
    fe.publish(head)
fe.kick_ring()

lat, done = [], 0
t0 = time.monotonic()
end = t0 + secs
next_create = t0 + 0.01
while True:
    now = time.monotonic()
    if now >= end:
        break
    r, _, _ = select.select([fe.call], [], [], max(0.0, min(next_create, end) - now))
    if r:
        os.eventfd_read(fe.call)
        heads = fe.reap()
        for h in heads:
            assert fe.m[0x20000 + 0x100 * h + 112] == 0, "request failed"
            fe.m[0x20000 + 0x100 * h + 112] = 0xAA
            fe.publish(h)
        done += len(heads)
        if heads:
            fe.kick_ring()
    if time.monotonic() >= next_create:
        a = time.monotonic()
        assert fe.create_cbc_session(key) >= 0
        lat.append((time.monotonic() - a) * 1000)
        next_create = time.monotonic() + 0.01
elapsed = time.monotonic() - t0
lat.sort()


def pct(p):
    return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")


print("size=%d requests/s=%.0f MB/s=%.1f creates=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f"
      % (size, done / elapsed, done * size / elapsed / 1e6, len(lat), pct(0.5),
         pct(0.99), lat[-1] if lat else float("nan")))
