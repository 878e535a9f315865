# lib/: the crypto engine library, linked into every host program.
LIB_SRCS := $(wildcard lib/*.c)
LIBVCD := $(BUILD)/libvcd.a

$(LIBVCD): $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^
