# arena/ - the shared-memory arena: layout, supervisor side, writer, reader.
ARENA_OBJS := arena/pixfmt.o arena/check.o arena/arena.o arena/writer.o
LIBCAMARENA_OBJS += arena/reader.o arena/check.o

UNIT_TESTS += test_arena
$(TBIN)/test_arena: $(call obj,tests/test_arena.o $(ARENA_OBJS) arena/reader.o)
