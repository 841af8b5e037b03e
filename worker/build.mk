# worker/ - camarena-worker.
WORKER_OBJS := worker/ffargs.o

PROGRAMS += camarena-worker
$(BIN)/camarena-worker: $(call obj,worker/main.o $(WORKER_OBJS) arena/writer.o $(IPC_OBJS)) $(LIB)/libcamarena.a

UNIT_TESTS += test_worker
$(TBIN)/test_worker: $(call obj,tests/test_worker.o $(WORKER_OBJS) $(ARENA_OBJS) $(CONF_OBJS) $(IPC_OBJS))
