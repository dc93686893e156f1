# libFuzzer target for the HTTP tokenizer (make fuzz; tests/suites/fuzz-http).
FUZZ_HTTP_SRCS := tests/fuzz/http.cc lib/http.cc lib/scan.cc lib/simd.cc lib/error.cc
build/fuzz/http: $(FUZZ_HTTP_SRCS) lib/internal.h lib/scan.h lib/simd.h include/levee.h
	@mkdir -p $(dir $@)
	clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Iinclude -Ilib -o $@ $(FUZZ_HTTP_SRCS) -lpthread
fuzz: build/fuzz/http
