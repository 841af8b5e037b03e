# conf/ - the conf parser and validation.
CONF_OBJS := conf/conf.o conf/units.o conf/words.o arena/pixfmt.o

UNIT_TESTS += test_conf
$(TBIN)/test_conf: $(call obj,tests/test_conf.o $(CONF_OBJS))
