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
