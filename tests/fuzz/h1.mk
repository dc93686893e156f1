# libFuzzer target for the HTTP/1.1 connection engine (make fuzz;
# tests/suites/fuzz-h1).
FUZZ_H1_SRCS := tests/fuzz/h1.cc lib/h1.cc lib/http.cc lib/scan.cc lib/simd.cc lib/stream.cc lib/iovec.cc lib/buffer.cc lib/error.cc
build/fuzz/h1: $(FUZZ_H1_SRCS) lib/internal.h lib/buffer.h lib/scan.h lib/simd.h lib/stream.h include/levee.h
	@mkdir -p $(dir $@)
	clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Iinclude -Ilib -o $@ $(FUZZ_H1_SRCS) -lpthread
fuzz: build/fuzz/h1
