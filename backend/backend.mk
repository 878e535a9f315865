# SPDX-License-Identifier: GPL-2.0-or-later
# backend/: the vhost-user-crypto daemon, its unit tests, fuzz targets and
# the non-VM benchmark.
#   $(BUILD)/vhost-user-crypto            the daemon
#   $(BUILD)/test_backend_*               cmocka unit tests (suite-40-backend)
#   $(BUILD)/backend-bench                request path vs raw OpenSSL EVP
#   build/fuzz/fuzz_vhost_user, build/fuzz/fuzz_vring_request,
#   build/fuzz/fuzz_handover                                      (make fuzz)
BACKEND_CORE := fd_check guest_memory sigbus_guard virtqueue session_table crypto_session_msg \
	crypto_request worker_pool inflight_log crypto_device device_datapath vhost_user handover_msg \
	handover takeover log
BACKEND_CORE_OBJS := $(BACKEND_CORE:%=$(BUILD)/obj/backend/%.o)

# Only the daemon talks to systemd (libsystemd); the tests and fuzzers
# link the core without it.
BACKEND_DAEMON_OBJS := $(addprefix $(BUILD)/obj/backend/,main.o fd_store.o restart_state.o)
PROGRAMS += $(BUILD)/vhost-user-crypto
$(BUILD)/vhost-user-crypto: $(BACKEND_DAEMON_OBJS) $(BACKEND_CORE_OBJS) $(LIBVCD)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lsystemd

BACKEND_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_backend_*.c))
TEST_PROGRAMS += $(BACKEND_TESTS:%=$(BUILD)/%) $(BUILD)/backend-bench

$(BACKEND_TESTS:%=$(BUILD)/%): $(BUILD)/%: $(BUILD)/obj/tests/unit/%.o \
		$(BUILD)/obj/backend/fake_guest.o $(BACKEND_CORE_OBJS) $(LIBVCD)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

$(BUILD)/obj/tests/unit/test_backend_%.o: CPPFLAGS += -Ibackend
$(BUILD)/obj/tests/bench/backend-bench.o: CPPFLAGS += -Ibackend
$(BUILD)/obj/backend/%.o: CPPFLAGS += -Ibackend

$(BUILD)/backend-bench: $(BUILD)/obj/tests/bench/backend-bench.o \
		$(BUILD)/obj/backend/fake_guest.o $(BACKEND_CORE_OBJS) $(LIBVCD)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# libFuzzer targets: clang, built from source (not from $(BUILD) objects).
FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -Ilib -Idriver/uapi -Ibackend -pthread
BACKEND_FUZZ_SRCS := $(BACKEND_CORE:%=backend/%.c) backend/fake_guest.c \
	$(wildcard lib/*.c)
fuzz: build/fuzz/fuzz_vhost_user build/fuzz/fuzz_vring_request build/fuzz/fuzz_handover
build/fuzz/fuzz_vhost_user build/fuzz/fuzz_vring_request build/fuzz/fuzz_handover: build/fuzz/%: tests/fuzz/%.c $(BACKEND_FUZZ_SRCS) $(wildcard backend/*.h lib/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(BACKEND_FUZZ_SRCS) -lcrypto
