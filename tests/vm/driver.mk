# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/driver.mk - guest programs of the frontend tests (build/guest/).
#
# Owns: the static guest builds of the /dev/crypto test programs
# (cryptodev_kat, cryptodev_badinput, cryptodev_stress, cryptodev_bench,
# cryptodev_fuzz ...) and the vcd-stats script,
# appended to GUEST_PROGRAMS of tests/vm/guest.mk (literal build/guest: this
# fragment is read before guest.mk defines GUEST_DIR).  Does not own the rules of
# guest.mk nor build/guest/test_crypto_engine (lib/lib.mk builds that one).
GUEST_CDEV_H := tests/vm/cryptodev_test.h driver/uapi/cryptodev.h
GUEST_PROGRAMS += build/guest/cryptodev_kat build/guest/cryptodev_badinput \
	build/guest/cryptodev_stress build/guest/cryptodev_bench

build/guest/cryptodev_kat: tests/vm/cryptodev_kat.c $(GUEST_CDEV_H) ; $(GUEST_LINK)
build/guest/cryptodev_badinput: tests/vm/cryptodev_badinput.c $(GUEST_CDEV_H) ; $(GUEST_LINK)
build/guest/cryptodev_stress: tests/vm/cryptodev_stress.c $(GUEST_CDEV_H) ; $(GUEST_LINK)
build/guest/cryptodev_bench: tests/vm/cryptodev_bench.c $(GUEST_CDEV_H) tests/vm/bench_util.h ; $(GUEST_LINK)
GUEST_PROGRAMS += build/guest/cryptodev_fuzz
build/guest/cryptodev_fuzz: tests/vm/cryptodev_fuzz.c $(GUEST_CDEV_H) ; $(GUEST_LINK)
# The ABI known-answer test, 64-bit and as a static 32-bit program (compat
# ioctls); it uses no OpenSSL so that no 32-bit libcrypto is needed.
GUEST_PROGRAMS += build/guest/cryptodev_abi build/guest/cryptodev_abi32
build/guest/cryptodev_abi: tests/vm/cryptodev_abi.c $(GUEST_CDEV_H) ; $(GUEST_LINK)
build/guest/cryptodev_abi32: tests/vm/cryptodev_abi.c $(GUEST_CDEV_H)
	@mkdir -p $(GUEST_DIR) && echo "GUEST $@ (-m32)"
	$(GUEST_CC) $(GUEST_CFLAGS) -m32 -static -o $@ $(filter %.c,$^)
GUEST_PROGRAMS += build/guest/cryptodev_sessions
build/guest/cryptodev_sessions: tests/vm/cryptodev_sessions.c $(GUEST_CDEV_H) ; $(GUEST_LINK)
GUEST_PROGRAMS += build/guest/cryptodev_zc
build/guest/cryptodev_zc: tests/vm/cryptodev_zc.c $(GUEST_CDEV_H) ; $(GUEST_LINK)
# vcd-stats: the devices' sysfs statistics as labelled tables (a shell script).
GUEST_PROGRAMS += build/guest/vcd-stats
build/guest/vcd-stats: tests/vm/vcd-stats.sh
	@mkdir -p build/guest && echo "GUEST $@" && install -m 755 $< $@
