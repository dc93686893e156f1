# libFuzzer target for UTF-8 validation, the escaping codecs and base64
# (make fuzz; tests/suites/fuzz-utf8).
FUZZ_UTF8_SRCS := tests/fuzz/utf8.cc lib/utf8.cc lib/base64.cc lib/error.cc
build/fuzz/utf8: $(FUZZ_UTF8_SRCS) lib/utf8.h lib/internal.h include/levee.h
	@mkdir -p $(dir $@)
	clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Iinclude -Ilib -o $@ $(FUZZ_UTF8_SRCS) -lpthread
fuzz: build/fuzz/utf8
