# worker/ - camarena-worker.
WORKER_OBJS := worker/data.o worker/ffargs.o worker/linering.o worker/worker.o

PROGRAMS += camarena-worker
$(BIN)/camarena-worker: $(call obj,worker/main.o $(WORKER_OBJS) $(ARENA_OBJS) ipc/proto.o ipc/frame.o)

# The process tests create an arena and bind the worker's sockets themselves.
UNIT_TESTS += test_worker
$(TBIN)/test_worker: $(call obj,tests/test_worker.o $(WORKER_OBJS) $(ARENA_OBJS) ipc/proto.o ipc/frame.o)
