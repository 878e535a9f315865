# SPDX-License-Identifier: GPL-2.0-or-later
# chat/chat.mk - build rules for the chat programs.
#
# chat/ is split by program, and the directories say what may use what:
#   chat/proto/   frames, room crypto, the shared helpers (clock, big-endian,
#                 event loop, descriptor limit): used by all three programs
#   chat/server/  chat-server: links chat/proto's frame codec, event loop and
#                 fd limit, libnats, and nothing of OpenSSL or room crypto
#                 (suite-20 checks the binary asks for no OpenSSL symbol)
#   chat/client/  chat-client
#   chat/bench/   chat-bench (seals as the client does: chat/proto's room
#                 crypto; parses --server as the client does:
#                 chat/client/client_servers.c)
# Sources include headers of another directory as "proto/frame.h" (-Ichat).
CHAT_OBJ := $(BUILD)/obj/chat
$(CHAT_OBJ)/%.o: CPPFLAGS += -Ichat

CHAT_FRAME_OBJ := $(CHAT_OBJ)/proto/frame.o
CHAT_LOOP_OBJS := $(addprefix $(CHAT_OBJ)/proto/,event_loop.o fd_limit.o)
CHAT_ROOM_CRYPTO_OBJS := $(addprefix $(CHAT_OBJ)/proto/,room_crypto.o replay_guard.o)

# ---- chat-server ------------------------------------------------------------
CHAT_SERVER_OBJS := $(addprefix $(CHAT_OBJ)/server/,server_main.o server.o \
	outq.o rate_limit.o timer_queue.o addr_limit.o id_alloc.o member_index.o \
	presence.o room_table.o room_history.o fed_wire.o federation.o \
	relay_peers.o write_pool.o) $(CHAT_LOOP_OBJS) $(CHAT_FRAME_OBJ)

PROGRAMS += $(BUILD)/chat-server
TEST_PROGRAMS += $(BUILD)/test_frame $(BUILD)/test_server_bookkeeping \
	$(BUILD)/test_federation $(BUILD)/accept_fail_shim.so

# Federation over NATS: libnats (Debian libnats-dev).  No $(LDLIBS): the relay
# must not need libcrypto (it never opens a message).
$(BUILD)/chat-server: $(CHAT_SERVER_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ -lnats

$(BUILD)/obj/tests/unit/test_frame.o: CPPFLAGS += -Ichat
$(BUILD)/test_frame: $(BUILD)/obj/tests/unit/test_frame.o $(CHAT_FRAME_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

# The server's bookkeeping: rate limits, timer queues, address counts, ids,
# the WHO index, presence batches, room history, write threads.
$(BUILD)/obj/tests/unit/test_server_bookkeeping.o: CPPFLAGS += -Ichat
$(BUILD)/test_server_bookkeeping: $(BUILD)/obj/tests/unit/test_server_bookkeeping.o \
		$(addprefix $(CHAT_OBJ)/server/,rate_limit.o timer_queue.o addr_limit.o \
		id_alloc.o member_index.o presence.o room_table.o room_history.o \
		outq.o write_pool.o) $(CHAT_FRAME_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

# Federation without NATS: wire codec, relay table, remote members, id ranges.
$(BUILD)/obj/tests/unit/test_federation.o: CPPFLAGS += -Ichat
$(BUILD)/test_federation: $(BUILD)/obj/tests/unit/test_federation.o \
		$(addprefix $(CHAT_OBJ)/server/,fed_wire.o relay_peers.o id_alloc.o \
		member_index.o presence.o room_table.o) $(CHAT_FRAME_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

# LD_PRELOAD library that makes accept4() fail (suite-20: no busy loop).
$(BUILD)/accept_fail_shim.so: tests/integration/accept_fail_shim.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -shared -fPIC -o $@ $< -ldl

FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Ichat \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
fuzz: build/fuzz/fuzz_frame build/fuzz/fuzz_fed_wire
build/fuzz/fuzz_fed_wire: tests/fuzz/fuzz_fed_wire.c chat/server/fed_wire.c chat/server/fed_wire.h chat/proto/frame.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_fed_wire.c chat/server/fed_wire.c
build/fuzz/fuzz_frame: tests/fuzz/fuzz_frame.c chat/proto/frame.c chat/proto/frame.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_frame.c chat/proto/frame.c

# ---- chat-bench -------------------------------------------------------------
CHAT_BENCH_OBJS := $(addprefix $(CHAT_OBJ)/bench/,bench_main.o bench_conn.o \
	bench_stats.o bench_peers.o) $(CHAT_OBJ)/client/client_servers.o \
	$(CHAT_ROOM_CRYPTO_OBJS) $(CHAT_LOOP_OBJS) $(CHAT_FRAME_OBJ)

PROGRAMS += $(BUILD)/chat-bench

$(BUILD)/chat-bench: $(CHAT_BENCH_OBJS) $(LIBVCD)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# What chat-bench parses from Redis and NATS (its benchmark peers).
fuzz: build/fuzz/fuzz_bench_peers
build/fuzz/fuzz_bench_peers: tests/fuzz/fuzz_bench_peers.c chat/bench/bench_peers.c chat/bench/bench_peers.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_bench_peers.c chat/bench/bench_peers.c

# ---- chat-client ------------------------------------------------------------
CHAT_CLIENT_OBJS := $(addprefix $(CHAT_OBJ)/client/,client_main.o \
	client_session.o client_loop.o client_conn.o client_tty.o \
	client_pipe.o client_keyq.o client_fmt.o client_body.o \
	client_peers.o client_servers.o client_failover.o \
	client_passphrase.o) $(CHAT_ROOM_CRYPTO_OBJS) $(CHAT_FRAME_OBJ)

PROGRAMS += $(BUILD)/chat-client
TEST_PROGRAMS += $(BUILD)/test_room_crypto $(BUILD)/test_client_keyq \
	$(BUILD)/test_client_fmt $(BUILD)/test_client_servers

# GNU readline (libreadline-dev) for the terminal front end; chat-client only.
$(BUILD)/chat-client: $(CHAT_CLIENT_OBJS) $(LIBVCD)
	$(CC) $(LDFLAGS) -o $@ $^ -lreadline $(LDLIBS)

$(BUILD)/obj/tests/unit/test_room_crypto.o: CPPFLAGS += -Ichat
$(BUILD)/test_room_crypto: $(BUILD)/obj/tests/unit/test_room_crypto.o \
		$(CHAT_ROOM_CRYPTO_OBJS) $(CHAT_OBJ)/client/client_body.o \
		$(CHAT_OBJ)/client/client_fmt.o $(LIBVCD)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

$(BUILD)/obj/tests/unit/test_client_keyq.o: CPPFLAGS += -Ichat
$(BUILD)/test_client_keyq: $(BUILD)/obj/tests/unit/test_client_keyq.o \
		$(CHAT_OBJ)/client/client_keyq.o
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

$(BUILD)/obj/tests/unit/test_client_fmt.o: CPPFLAGS += -Ichat
$(BUILD)/test_client_fmt: $(BUILD)/obj/tests/unit/test_client_fmt.o \
		$(CHAT_OBJ)/client/client_fmt.o
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

$(BUILD)/obj/tests/unit/test_client_servers.o: CPPFLAGS += -Ichat
$(BUILD)/test_client_servers: $(BUILD)/obj/tests/unit/test_client_servers.o \
		$(CHAT_OBJ)/client/client_servers.o
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -lcrypto

# libFuzzer target over room_open, the body codec and the display filter
# (FUZZ_CFLAGS from the server block above).
CHAT_ROOM_FUZZ_SRCS := tests/fuzz/fuzz_room_open.c chat/proto/room_crypto.c \
	chat/proto/replay_guard.c chat/client/client_body.c chat/client/client_fmt.c \
	$(wildcard lib/*.c)
fuzz: build/fuzz/fuzz_room_open
build/fuzz/fuzz_room_open: $(CHAT_ROOM_FUZZ_SRCS) $(wildcard chat/*/*.h lib/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -Ilib -Idriver/uapi -pthread -o $@ $(CHAT_ROOM_FUZZ_SRCS) -lcrypto
