# tools/ - camarena-ctl, camarena-sub (tools/demo.sh is run by `make demo`).
CTL_OBJS := tools/ctl/main.o tools/ctl/jread.o tools/ctl/keygen.o tools/ctl/status.o
SUB_OBJS := tools/sub/main.o tools/sub/stats.o

PROGRAMS += camarena-ctl camarena-sub
$(BIN)/camarena-ctl: $(call obj,$(CTL_OBJS) $(CONF_OBJS) ipc/proto.o)
$(BIN)/camarena-sub: $(call obj,$(SUB_OBJS) $(CONF_OBJS) ipc/proto.o supervisor/zap.o) $(LIB)/libcamarena.a

UNIT_TESTS += test_ctl
$(TBIN)/test_ctl: $(call obj,tests/test_ctl.o tools/ctl/jread.o tools/ctl/status.o)
