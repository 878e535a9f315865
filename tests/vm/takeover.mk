# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/takeover.mk - the guest program of the takeover VM test
# (tests/suite-65-vm-takeover.sh): build/guest/cryptodev_latency, appended
# to GUEST_PROGRAMS of tests/vm/guest.mk (literal build/guest: this fragment
# may be read before guest.mk defines GUEST_DIR).
GUEST_PROGRAMS += build/guest/cryptodev_latency
build/guest/cryptodev_latency: tests/vm/cryptodev_latency.c tests/vm/cryptodev_test.h \
		driver/uapi/cryptodev.h ; $(GUEST_LINK)
