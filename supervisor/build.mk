# supervisor/ - camarenad.
SUPERVISOR_OBJS := supervisor/backoff.o supervisor/camera.o supervisor/control.o supervisor/log.o \
                   supervisor/pressure.o supervisor/growth.o supervisor/hostmem.o \
                   supervisor/plan.o supervisor/procmem.o supervisor/reload.o supervisor/spawn.o supervisor/status.o \
                   supervisor/supervisor.o

PROGRAMS += camarenad
$(BIN)/camarenad: $(call obj,supervisor/main.o $(SUPERVISOR_OBJS) $(ARENA_OBJS) $(CONF_OBJS) $(IPC_OBJS)) $(LIB)/libcamarena.a

UNIT_TESTS += test_supervisor
$(TBIN)/test_supervisor: $(call obj,tests/test_supervisor.o $(SUPERVISOR_OBJS) $(ARENA_OBJS) $(CONF_OBJS) $(IPC_OBJS))

# Pressure, growth and host signals (issue 4): pure modules, in SUPERVISOR_OBJS too.
PRESSURE_OBJS := supervisor/pressure.o supervisor/growth.o supervisor/hostmem.o
UNIT_TESTS += test_pressure
$(TBIN)/test_pressure: $(call obj,tests/test_pressure.o $(PRESSURE_OBJS) supervisor/procmem.o ipc/json.o)

# CURVE on tcp:// publish endpoints and the ZAP handler (issue 5): camarenad
# and test_supervisor link supervisor/zap.o too (extra prerequisites: the
# link rule takes every .o of $^).
UNIT_TESTS += test_zap
$(BIN)/camarenad: $(call obj,supervisor/zap.o)
$(TBIN)/test_supervisor: $(call obj,supervisor/zap.o)
$(TBIN)/test_zap: $(call obj,tests/test_zap.o supervisor/zap.o)
