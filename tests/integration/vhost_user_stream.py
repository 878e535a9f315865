# SPDX-License-Identifier: GPL-2.0-or-later
"""vhost_user_stream.py - a stream of checked AES-CBC requests kept in
flight on a scripted front-end's ring (vhost_user_frontend.Frontend), and
the reference it is checked against (OpenSSL's libcrypto through ctypes).

Owns: the reference AES-CBC, the request slots, and the bookkeeping of what
came back: completed, wrong, repeated, answered ERR, lost.  Does not own
the front-end (vhost_user_frontend.py) nor what a test does meanwhile.
"""
import ctypes
import ctypes.util
import random
import threading
import time

MiB = 1 << 20
BUF = 2 * MiB       # guest offset of the stream's buffers
_lc = ctypes.CDLL(ctypes.util.find_library("crypto") or "libcrypto.so.3")
for _f in ("EVP_CIPHER_CTX_new", "EVP_aes_128_cbc", "EVP_aes_256_cbc"):
    getattr(_lc, _f).restype = ctypes.c_void_p
_lc.EVP_CIPHER_CTX_free.argtypes = [ctypes.c_void_p]
_lc.EVP_CipherInit_ex.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                  ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
_lc.EVP_CIPHER_CTX_set_padding.argtypes = [ctypes.c_void_p, ctypes.c_int]
_lc.EVP_CipherUpdate.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                 ctypes.POINTER(ctypes.c_int), ctypes.c_char_p, ctypes.c_int]


def aes_cbc(key, iv, data, encrypt=True):
    """AES-CBC without padding by libcrypto (the reference)."""
    ctx = _lc.EVP_CIPHER_CTX_new()
    out = ctypes.create_string_buffer(len(data) + 32)
    n = ctypes.c_int(0)
    cipher = _lc.EVP_aes_128_cbc() if len(key) == 16 else _lc.EVP_aes_256_cbc()
    ok = (_lc.EVP_CipherInit_ex(ctx, cipher, None, key, iv, 1 if encrypt else 0) and
          _lc.EVP_CIPHER_CTX_set_padding(ctx, 0) and
          _lc.EVP_CipherUpdate(ctx, out, ctypes.byref(n), data, len(data)))
    _lc.EVP_CIPHER_CTX_free(ctx)
    assert ok and n.value == len(data)
    return out.raw[:len(data)]


class Stream:
    """SLOTS requests of SIZE bytes kept in flight on heads 0..SLOTS-1,
    every completion checked (status OK and ciphertext = OpenSSL's) and the
    slot refilled at once; lost or repeated completions are counted.  A
    caller that crashes the daemon on purpose calls crashed() first: the
    requests submitted before may come back with status ERR (counted as
    failed), none after."""
    SLOTS, SIZE, PATTERNS = 16, MiB, 4

    def __init__(self, fe, sess):
        self.fe, self.sess = fe, sess
        rnd = random.Random(1)
        self.pt = [rnd.randbytes(self.SIZE) for _ in range(self.PATTERNS)]
        self.iv = [rnd.randbytes(16) for _ in range(self.PATTERNS)]
        self.want = {}
        for i in range(self.PATTERNS):
            for sid, key, _e in sess:
                self.want[(i, sid)] = aes_cbc(key, self.iv[i], self.pt[i])
        self.out = {}           # head -> (pattern, sid, epoch)
        self.done = self.wrong = self.dup = self.failed = 0
        self.n = 0
        self.epoch = 0          # crashed() so far
        self.lock = threading.Lock()

    def crashed(self):
        """From now on, requests submitted before may fail (ERR)."""
        with self.lock:
            self.epoch += 1

    def at(self, slot):
        hdr = 0x10000 + slot * 256
        src = BUF + slot * 2 * self.SIZE
        return hdr, hdr + 128, src, src + self.SIZE

    def submit(self, slot):
        hdr, table, src, dst = self.at(slot)
        pat = self.n % self.PATTERNS
        sid = self.sess[self.n % len(self.sess)][0]
        self.n += 1
        m = self.fe.m
        m[src:src + self.SIZE] = self.pt[pat]
        m[dst:dst + self.SIZE] = bytes(self.SIZE)
        self.fe.put_cbc_request(slot, sid, table, hdr, self.iv[pat], src, dst, self.SIZE)
        with self.lock:
            self.out[slot] = (pat, sid, self.epoch)
        self.fe.publish(slot)

    def reap(self):
        for h in self.fe.reap():
            if h not in self.out:
                self.dup += 1
                continue
            pat, sid, epoch = self.out.pop(h)
            hdr, _t, _s, dst = self.at(h)
            status = self.fe.m[hdr + 112]
            if status == 0:
                if self.fe.m[dst:dst + self.SIZE] != self.want[(pat, sid)]:
                    self.wrong += 1
            elif status == 1 and epoch < self.epoch:    # VIRTIO_CRYPTO_ERR
                self.failed += 1
            else:
                self.wrong += 1
            self.done += 1

    def run(self, secs, during):
        """Run for secs (more while `during` is still busy): during() runs
        in a thread of its own once the stream is going."""
        for slot in range(self.SLOTS):
            self.submit(slot)
        self.fe.kick_ring()
        th = threading.Thread(target=during)
        th.start()
        end = time.time() + secs
        while th.is_alive() or time.time() < end:
            self.fe.wait_call(0.05)
            self.reap()
            for slot in range(self.SLOTS):
                if slot not in self.out:
                    self.submit(slot)
            self.fe.kick_ring()
        th.join()
        # drain: every request still out must come back
        end = time.time() + 30
        while self.out and time.time() < end:
            self.fe.kick_ring()
            self.fe.wait_call(0.2)
            self.reap()


