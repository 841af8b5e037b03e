# tools/ - camarena-ctl, camarena-sub.
PROGRAMS += camarena-ctl camarena-sub
$(BIN)/camarena-ctl: $(call obj,tools/ctl/main.o $(CONF_OBJS) $(IPC_OBJS)) $(LIB)/libcamarena.a
$(BIN)/camarena-sub: $(call obj,tools/sub/main.o $(CONF_OBJS) $(IPC_OBJS)) $(LIB)/libcamarena.a
