# libFuzzer target for the JSON tokenizer (make fuzz; tests/suites/fuzz-json).
FUZZ_JSON_SRCS := tests/fuzz/json.cc lib/json.cc lib/json_encode.cc lib/json_lexer.cc lib/json_number.cc \
	lib/scan.cc lib/simd.cc lib/error.cc
build/fuzz/json: $(FUZZ_JSON_SRCS) lib/json.h lib/internal.h lib/scan.h lib/simd.h include/levee.h
	@mkdir -p $(dir $@)
	clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Iinclude -Ilib -o $@ $(FUZZ_JSON_SRCS) -lpthread
fuzz: build/fuzz/json
