# tools/bench/ - camarena-bench and its baselines.
BENCH_OBJS := tools/bench/main.o tools/bench/proc.o tools/bench/table.o tools/bench/synth.o \
              tools/bench/baseline.o tools/bench/instance.o tools/bench/figures.o arena/pixfmt.o

PROGRAMS += camarena-bench
$(BIN)/camarena-bench: $(call obj,$(BENCH_OBJS)) $(LIB)/libcamarena.a
