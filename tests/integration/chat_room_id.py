#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""chat_room_id.py - an independent derivation of chat room ids, to check
chat-client's (docs/e2e-encryption.md): scrypt (Python's hashlib, N=2^17,
r=8, p=1) over the passphrase, salted with the label, a zero byte and the
room name, then HKDF-SHA256 (RFC 5869, written out with hmac) with the info
"vcd-chat e2e v2 room id", 16 bytes.

Usage: chat_room_id.py LOG PASSPHRASE:ROOM...
LOG holds lines "join HEX" (tests/integration/chat_fake_server.py, mode
rooms); exits 0 when they are exactly the ids of the given pairs, in order,
all different.
"""
import hashlib
import hmac
import sys


def room_id(passphrase, name):
    key = hashlib.scrypt(passphrase.encode(), salt=b"vcd-chat e2e v2 room\0" + name.encode(),
                         n=1 << 17, r=8, p=1, maxmem=256 << 20, dklen=32)
    prk = hmac.new(b"\0" * 32, key, hashlib.sha256).digest()        # extract
    okm = hmac.new(prk, b"vcd-chat e2e v2 room id\x01", hashlib.sha256).digest()
    return okm[:16].hex()


def main():
    want = [room_id(*pair.rsplit(":", 1)) for pair in sys.argv[2:]]
    got = [line.split()[1] for line in open(sys.argv[1]) if line.startswith("join ")]
    print("  room ids sent: %s" % " ".join(got))
    if got != want or len(set(got)) != len(got):
        print("  expected:      %s" % " ".join(want))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
