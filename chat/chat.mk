# SPDX-License-Identifier: GPL-2.0-or-later
# chat/chat.mk - build rules for the chat programs.
#
# ---- server side: chat-server, chat-bench, frame tests, fuzz target -------
# (owned by the server engineer; the client block below is separate)
CHAT_FRAME_OBJ := $(BUILD)/obj/chat/frame.o
CHAT_SERVER_OBJS := $(addprefix $(BUILD)/obj/chat/,server_main.o server.o \
	event_loop.o outq.o fd_limit.o rate_limit.o timer_queue.o addr_limit.o \
	id_alloc.o member_index.o presence.o room_table.o fed_wire.o federation.o \
	relay_peers.o room_history.o) $(CHAT_FRAME_OBJ)

CHAT_BENCH_OBJS := $(addprefix $(BUILD)/obj/chat/,bench_main.o bench_conn.o \
	bench_stats.o bench_peers.o event_loop.o fd_limit.o room_crypto.o \
	replay_guard.o client_servers.o) \
	$(CHAT_FRAME_OBJ)

PROGRAMS += $(BUILD)/chat-server $(BUILD)/chat-bench
TEST_PROGRAMS += $(BUILD)/test_frame $(BUILD)/test_server_bookkeeping \
	$(BUILD)/test_federation $(BUILD)/accept_fail_shim.so

# Federation over NATS: libnats (Debian libnats-dev).
$(BUILD)/chat-server: $(CHAT_SERVER_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ -lnats $(LDLIBS)

# chat-bench seals with the client's room crypto (chat/room_crypto.c) and
# parses --server HOST:PORT as chat-client does (chat/client_servers.c).
$(BUILD)/chat-bench: $(CHAT_BENCH_OBJS) $(LIBVCD)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/tests/unit/test_frame.o: CPPFLAGS += -Ichat
$(BUILD)/test_frame: $(BUILD)/obj/tests/unit/test_frame.o $(CHAT_FRAME_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

# The server's bookkeeping: rate limits, timer queues, address counts, ids,
# the WHO index, presence batches, room history.
$(BUILD)/obj/tests/unit/test_server_bookkeeping.o: CPPFLAGS += -Ichat
$(BUILD)/test_server_bookkeeping: $(BUILD)/obj/tests/unit/test_server_bookkeeping.o \
		$(addprefix $(BUILD)/obj/chat/,rate_limit.o timer_queue.o addr_limit.o \
		id_alloc.o member_index.o presence.o room_table.o room_history.o \
		outq.o) $(CHAT_FRAME_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

# Federation without NATS: wire codec, relay table, remote members, id ranges.
$(BUILD)/obj/tests/unit/test_federation.o: CPPFLAGS += -Ichat
$(BUILD)/test_federation: $(BUILD)/obj/tests/unit/test_federation.o \
		$(addprefix $(BUILD)/obj/chat/,fed_wire.o relay_peers.o id_alloc.o \
		member_index.o presence.o room_table.o) $(CHAT_FRAME_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

# LD_PRELOAD library that makes accept4() fail (suite-20: no busy loop).
$(BUILD)/accept_fail_shim.so: tests/integration/accept_fail_shim.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -shared -fPIC -o $@ $< -ldl

FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Ichat \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
fuzz: build/fuzz/fuzz_frame build/fuzz/fuzz_fed_wire
build/fuzz/fuzz_fed_wire: tests/fuzz/fuzz_fed_wire.c chat/fed_wire.c chat/fed_wire.h chat/frame.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_fed_wire.c chat/fed_wire.c
build/fuzz/fuzz_frame: tests/fuzz/fuzz_frame.c chat/frame.c chat/frame.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_frame.c chat/frame.c
# What chat-bench parses from Redis and NATS (its benchmark peers).
fuzz: build/fuzz/fuzz_bench_peers
build/fuzz/fuzz_bench_peers: tests/fuzz/fuzz_bench_peers.c chat/bench_peers.c chat/bench_peers.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_bench_peers.c chat/bench_peers.c
# ---- end of server side ---------------------------------------------------

# ---- chat-client: client programs, room crypto tests (client engineer) -----
CHAT_CLIENT_OBJS := $(addprefix $(BUILD)/obj/chat/,client_main.o \
	client_session.o client_loop.o client_conn.o client_tty.o \
	client_pipe.o client_keyq.o client_fmt.o client_body.o \
	client_peers.o client_servers.o client_failover.o \
	client_passphrase.o room_crypto.o replay_guard.o) $(CHAT_FRAME_OBJ)

PROGRAMS += $(BUILD)/chat-client
TEST_PROGRAMS += $(BUILD)/test_room_crypto $(BUILD)/test_client_keyq \
	$(BUILD)/test_client_fmt $(BUILD)/test_client_servers

# GNU readline (libreadline-dev) for the terminal front end; chat-client only.
$(BUILD)/chat-client: $(CHAT_CLIENT_OBJS) $(LIBVCD)
	$(CC) $(LDFLAGS) -o $@ $^ -lreadline $(LDLIBS)

$(BUILD)/obj/tests/unit/test_room_crypto.o: CPPFLAGS += -Ichat
$(BUILD)/test_room_crypto: $(BUILD)/obj/tests/unit/test_room_crypto.o \
		$(BUILD)/obj/chat/room_crypto.o $(BUILD)/obj/chat/client_body.o \
		$(BUILD)/obj/chat/replay_guard.o $(BUILD)/obj/chat/client_fmt.o \
		$(LIBVCD)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

$(BUILD)/obj/tests/unit/test_client_keyq.o: CPPFLAGS += -Ichat
$(BUILD)/test_client_keyq: $(BUILD)/obj/tests/unit/test_client_keyq.o \
		$(BUILD)/obj/chat/client_keyq.o
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

$(BUILD)/obj/tests/unit/test_client_fmt.o: CPPFLAGS += -Ichat
$(BUILD)/test_client_fmt: $(BUILD)/obj/tests/unit/test_client_fmt.o \
		$(BUILD)/obj/chat/client_fmt.o
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

$(BUILD)/obj/tests/unit/test_client_servers.o: CPPFLAGS += -Ichat
$(BUILD)/test_client_servers: $(BUILD)/obj/tests/unit/test_client_servers.o \
		$(BUILD)/obj/chat/client_servers.o
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -lcrypto

# libFuzzer target over room_open, the body codec and the display filter
# (FUZZ_CFLAGS from the server block above).
CHAT_ROOM_FUZZ_SRCS := tests/fuzz/fuzz_room_open.c chat/room_crypto.c chat/replay_guard.c \
	chat/client_body.c chat/client_fmt.c $(wildcard lib/*.c)
fuzz: build/fuzz/fuzz_room_open
build/fuzz/fuzz_room_open: $(CHAT_ROOM_FUZZ_SRCS) $(wildcard chat/*.h lib/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -Ilib -Idriver/uapi -pthread -o $@ $(CHAT_ROOM_FUZZ_SRCS) -lcrypto
# ---- end of chat-client ----------------------------------------------------
