# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/e2e.mk - the chat-client as a static guest program (build/guest/).
#
# Owns: build/guest/chat-client, the same sources as the host chat-client
# linked statically (libcrypto.a, libreadline.a, libtinfo.a: the guest tests
# use it without a terminal) so that it runs in the busybox test VM, where its device
# engine talks to our /dev/crypto.  Does not own the sources (chat/, lib/).
GUEST_CHAT_CLIENT_SRCS := $(patsubst $(BUILD)/obj/%.o,%.c,$(CHAT_CLIENT_OBJS)) \
	$(wildcard lib/*.c)
# (read before tests/vm/guest.mk: spell build/guest out, not $(GUEST_DIR))
GUEST_PROGRAMS += build/guest/chat-client

build/guest/chat-client: $(GUEST_CHAT_CLIENT_SRCS) $(wildcard chat/*.h lib/*.h) VERSION
	@mkdir -p build/guest && rm -f $@ && echo "GUEST $@"
	@{ $(GUEST_CC) $(GUEST_CFLAGS) $(VCD_VERSION_FLAG) -Ichat -static -o $@ $(filter %.c,$^) \
		-lreadline -ltinfo $(GUEST_LDLIBS) 2>&1 | \
		grep -v -e 'statically linked applications requires' -e 'libcrypto.a(' -e 'libreadline.a(' -e ': in function .client_conn_open' >&2 || true; } && test -x $@
