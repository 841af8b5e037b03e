# tests/ - test programs that are not unit tests of one module.
TEST_PROGRAMS += fake-ffmpeg
$(TBIN)/fake-ffmpeg: $(call obj,tests/fake-ffmpeg.o arena/pixfmt.o)
