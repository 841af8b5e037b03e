# Makefile - builds camarena into build/ (build/sanitize/ with SANITIZE=...).
#
#   make                  programs in build/bin, libcamarena.{a,so} in build/lib
#   make test             installs missing system packages, builds, runs every test
#   make test SANITIZE=address,undefined
#   make demo             runs camarenad on conf/demo.ini in the foreground
#   make install PREFIX=/usr/local
#   make clean
#
# Each module's folder has a build.mk naming its objects and programs; this
# file holds the one compile rule and the link rules.

PREFIX ?= /usr/local
SANITIZE ?=
O := build$(if $(SANITIZE),/sanitize)
OBJ := $(O)/obj
BIN := $(O)/bin
LIB := $(O)/lib
TBIN := $(O)/tests

PKGS := libzmq liblz4 inih
CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -fPIC -MMD -MP -I. -Iinclude
LDLIBS = $(shell pkg-config --libs $(PKGS)) -lm
ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

obj = $(addprefix $(OBJ)/,$(1))

# Filled in by the build.mk files.
PROGRAMS :=
UNIT_TESTS :=
TEST_PROGRAMS :=
LIBCAMARENA_OBJS :=

include conf/build.mk arena/build.mk ipc/build.mk supervisor/build.mk worker/build.mk tools/build.mk tools/bench/build.mk tests/build.mk

.PHONY: all test unit deps demo install clean
.DEFAULT_GOAL := all

all: $(addprefix $(BIN)/,$(PROGRAMS)) $(LIB)/libcamarena.a $(LIB)/libcamarena.so \
     $(addprefix $(TBIN)/,$(UNIT_TESTS) $(TEST_PROGRAMS))

$(OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BIN)/%:
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LDLIBS)

$(TBIN)/%:
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LDLIBS) -lcmocka

$(LIB)/libcamarena.a: $(call obj,$(LIBCAMARENA_OBJS))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIB)/libcamarena.so: $(call obj,$(LIBCAMARENA_OBJS))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libcamarena.so -o $@ $^

deps:
	@tests/deps.sh

# The sub-make reads pkg-config only once deps has installed it.
test: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(O) tests/run

unit: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(O) tests/run --unit

demo: all
	@tools/demo.sh $(BIN)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include
	install -m 0755 $(addprefix $(BIN)/,$(PROGRAMS)) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(LIB)/libcamarena.a $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 $(LIB)/libcamarena.so $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 include/camarena.h $(DESTDIR)$(PREFIX)/include/

clean:
	rm -rf build

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)

# Benchmarks and the soak (issue 6): docs/BENCHMARKS.md, tools/bench/soak.py.
#   make bench                         every figure, written to docs/BENCHMARKS.md
#   make soak [FRAMES=N] [VALGRIND=1]  memory and descriptors flat over N frames
.PHONY: bench soak
bench: all
	$(BIN)/camarena-bench --output docs/BENCHMARKS.md

soak: all
	/usr/bin/python3 tools/bench/soak.py --build $(O) $(if $(FRAMES),--frames $(FRAMES)) $(if $(VALGRIND),--valgrind)
