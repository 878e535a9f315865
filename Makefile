# SPDX-License-Identifier: GPL-2.0-or-later
# Top-level build.  Each part adds its programs through its own fragment
# (lib/lib.mk, chat/chat.mk, backend/backend.mk, tests/tests.mk); this file
# owns the flags, the object rule and the user-facing targets.
#
#   make            build every host program into build/
#   make SAN=1      the same with ASan+UBSan into build/san/
#   make test       install dependencies, then run every test suite
#   make demo       install dependencies, then run the end-to-end demo
#   make bench      run the benchmarks (prints ratios against the peers)
#   make fuzz       build the libFuzzer targets into build/fuzz/
#   make install    install the programs (PREFIX=/usr/local), the systemd units
#                   and the man pages; make uninstall removes them
#   make deb        Debian packages into build/deb/ (debian/, dpkg-buildpackage)

SAN ?= 0
ifeq ($(SAN),1)
BUILD ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= build
SANFLAGS :=
endif

CC ?= gcc
OPT ?= -O2
CPPFLAGS += -D_GNU_SOURCE -Ilib -Idriver/uapi
CFLAGS += -std=c11 $(OPT) -g -Wall -Wextra -Werror -pthread $(SANFLAGS)
LDFLAGS += -pthread $(SANFLAGS)
LDLIBS += -lcrypto

PROGRAMS :=
TEST_PROGRAMS :=
# --version: the one version of the project is the file VERSION (lib/version.h);
# the objects that print it are VERSIONED_OBJS below (and the guest chat-client
# of tests/vm/e2e.mk).
VCD_VERSION := $(shell cat VERSION)
VCD_VERSION_FLAG := -DVCD_VERSION='"$(VCD_VERSION)"'

.PHONY: all programs tests test demo bench fuzz install uninstall deb clean
all: programs

include lib/lib.mk
# Every other part's fragment: chat/chat.mk, backend/backend.mk, tests/*/*.mk ...
-include $(sort $(filter-out lib/lib.mk,$(wildcard */*.mk tests/*/*.mk)))

programs: $(PROGRAMS)
tests: $(TEST_PROGRAMS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

VERSIONED_OBJS := $(addprefix $(BUILD)/obj/,backend/main.o chat/server/server_main.o \
	chat/client/client_main.o chat/bench/bench_main.o)
$(VERSIONED_OBJS): CPPFLAGS += $(VCD_VERSION_FLAG)
$(VERSIONED_OBJS): VERSION

test:
	tools/install-deps
	tests/run-all

demo:
	tools/install-deps
	tools/demo

bench:
	tools/install-deps
	tests/bench/run-all

PREFIX ?= /usr/local
UNITDIR ?= /etc/systemd/system
MANDIR ?= $(PREFIX)/share/man
INSTALL_PROGRAMS := chat-server chat-client chat-bench vhost-user-crypto
INSTALL_UNITS := backend/systemd/vhost-user-crypto@.service chat/server/systemd/chat-server.service
MAN_PAGES := $(wildcard man/*.[1-8])
# man/NAME.S -> $(MANDIR)/manS/NAME.S
man_dest = $(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(1)))/$(notdir $(1))
install: programs
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UNITDIR)
	install -m 755 $(addprefix $(BUILD)/,$(INSTALL_PROGRAMS)) $(DESTDIR)$(PREFIX)/bin/
	for u in $(INSTALL_UNITS); do \
		sed 's|/usr/local/bin|$(PREFIX)/bin|' $$u >$(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; \
	done
	$(foreach p,$(MAN_PAGES),install -D -m 644 $(p) $(call man_dest,$(p)) &&) true

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(INSTALL_PROGRAMS)) \
		$(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(INSTALL_UNITS))) \
		$(foreach p,$(MAN_PAGES),$(call man_dest,$(p)))

# Debian packages (debian/) into build/deb/: tools/build-deb.
deb:
	tools/build-deb

clean:
	rm -rf build/obj build/san build/fuzz $(PROGRAMS) $(TEST_PROGRAMS)
