# ipc/ - endpoints, topics, message encoding, the internal protocol.
IPC_OBJS := ipc/proto.o ipc/json.o
LIBCAMARENA_OBJS += ipc/frame.o

UNIT_TESTS += test_ipc
$(TBIN)/test_ipc: $(call obj,tests/test_ipc.o $(IPC_OBJS) ipc/frame.o)
