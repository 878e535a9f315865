# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/guest.mk - static programs that run inside the test VM (build/guest/).
#
# Owns: `make guest`, which builds every program in GUEST_PROGRAMS with
# `gcc -static` (libcrypto.a from libssl-dev) into build/guest/, always
# unsanitized whatever SAN says.  vm/run puts everything in build/guest/ on
# the guest PATH.  Other fragments add their own guest programs with
#   GUEST_PROGRAMS += build/guest/NAME
#   build/guest/NAME: SOURCES ; $(GUEST_LINK)
# Does not own: host programs, the VM (vm/run), the suites using these.

GUEST_DIR := build/guest
GUEST_CC ?= gcc
GUEST_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -pthread -D_GNU_SOURCE -Ilib -Idriver/uapi
GUEST_LDLIBS := -lcrypto -lpthread -ldl
# Link all prerequisites that are .c files into $@ (warnings about getaddrinfo
# in static glibc come from libcrypto's BIO code and are harmless here).
GUEST_LINK = @mkdir -p $(GUEST_DIR) && rm -f $@ && echo "GUEST $@" && \
	{ $(GUEST_CC) $(GUEST_CFLAGS) -static -o $@ $(filter %.c,$^) $(GUEST_LDLIBS) 2>&1 | \
	grep -v -e 'statically linked applications requires' -e 'libcrypto.a(' >&2 || true; } && test -x $@

GUEST_AFALG := tests/vm/afalg.c tests/vm/afalg.h
GUEST_PROGRAMS += $(GUEST_DIR)/afalg_kat $(GUEST_DIR)/afalg_stress $(GUEST_DIR)/afalg_bench

$(GUEST_DIR)/afalg_kat: tests/vm/afalg_kat.c $(GUEST_AFALG) ; $(GUEST_LINK)
$(GUEST_DIR)/afalg_stress: tests/vm/afalg_stress.c $(GUEST_AFALG) ; $(GUEST_LINK)
$(GUEST_DIR)/afalg_bench: tests/vm/afalg_bench.c $(GUEST_AFALG) tests/vm/bench_util.h ; $(GUEST_LINK)

# Prerequisites expanded late, so fragments read after this one count too.
.PHONY: guest
.SECONDEXPANSION:
guest: $$(GUEST_PROGRAMS)
