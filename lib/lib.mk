# SPDX-License-Identifier: GPL-2.0-or-later
# lib/: the crypto engine library, linked into every host program.
# Also builds the library's unit tests and benchmark (owned with lib/):
#   $(BUILD)/test_crypto_engine  cmocka unit tests (tests/suite-10-lib.sh)
#   $(BUILD)/lib-bench           raw OpenSSL EVP vs ce_encrypt throughput
LIB_SRCS := $(wildcard lib/*.c)
LIBVCD := $(BUILD)/libvcd.a

$(LIBVCD): $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

TEST_PROGRAMS += $(BUILD)/test_crypto_engine $(BUILD)/lib-bench

# The stand-in cryptodev node answers ioctl() on its own descriptors only.
$(BUILD)/test_crypto_engine: $(BUILD)/obj/tests/unit/test_crypto_engine.o \
		$(BUILD)/obj/tests/unit/test_lib_fake_cryptodev.o $(LIBVCD)
	$(CC) $(LDFLAGS) -Wl,--wrap=ioctl -o $@ $^ -lcmocka $(LDLIBS)

$(BUILD)/lib-bench: $(BUILD)/obj/tests/bench/lib-bench.o $(LIBVCD)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The same unit tests as a static program for the test VM (`make guest`,
# tests/vm/guest.mk): run there as `test_crypto_engine /dev/crypto` to check
# our frontend.  Debian has no static libcmocka, so this build finds the
# cmocka subset in tests/unit/test_lib_guest/ first.
GUEST_PROGRAMS += build/guest/test_crypto_engine
GUEST_LIB_TEST_SRCS := tests/unit/test_crypto_engine.c \
	tests/unit/test_lib_fake_cryptodev.c $(LIB_SRCS)

build/guest/test_crypto_engine: $(GUEST_LIB_TEST_SRCS) $(wildcard lib/*.h) \
		tests/unit/test_lib_fake_cryptodev.h tests/unit/test_lib_guest/cmocka.h
	@mkdir -p build/guest && rm -f $@ && echo "GUEST $@"
	@{ $(GUEST_CC) $(GUEST_CFLAGS) -Itests/unit/test_lib_guest -static \
		-Wl,--wrap=ioctl -o $@ $(GUEST_LIB_TEST_SRCS) $(GUEST_LDLIBS) 2>&1 | \
		grep -v -e 'statically linked applications requires' -e 'libcrypto.a(' >&2 || true; } && test -x $@

# libFuzzer target: ce_* against OpenSSL called directly (tests/suite-10-lib.sh
# builds it and gives it a short run).
FUZZ_LIB_CFLAGS := -std=c11 -g -O1 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-Ilib -Idriver/uapi -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined
fuzz: build/fuzz/fuzz_lib_engine
build/fuzz/fuzz_lib_engine: tests/fuzz/fuzz_lib_engine.c $(LIB_SRCS) $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_LIB_CFLAGS) -o $@ tests/fuzz/fuzz_lib_engine.c $(LIB_SRCS) -lcrypto
