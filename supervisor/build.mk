# supervisor/ - camarenad.
SUPERVISOR_OBJS := supervisor/backoff.o supervisor/camera.o supervisor/control.o supervisor/log.o \
                   supervisor/plan.o supervisor/procmem.o supervisor/spawn.o supervisor/status.o \
                   supervisor/supervisor.o

PROGRAMS += camarenad
$(BIN)/camarenad: $(call obj,supervisor/main.o $(SUPERVISOR_OBJS) $(ARENA_OBJS) $(CONF_OBJS) $(IPC_OBJS)) $(LIB)/libcamarena.a

UNIT_TESTS += test_supervisor
$(TBIN)/test_supervisor: $(call obj,tests/test_supervisor.o $(SUPERVISOR_OBJS) $(ARENA_OBJS) $(CONF_OBJS) $(IPC_OBJS))
