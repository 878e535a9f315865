# chat/chat.mk - build rules for the chat programs.
#
# ---- server side: chat-server, chat-bench, frame tests, fuzz target -------
# (owned by the server engineer; the client block below is separate)
CHAT_FRAME_OBJ := $(BUILD)/obj/chat/frame.o
# ---- end of server side ---------------------------------------------------
