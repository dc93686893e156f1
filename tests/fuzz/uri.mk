# libFuzzer target for the URI parser (make fuzz; tests/suites/fuzz-uri).
FUZZ_URI_SRCS := tests/fuzz/uri.cc lib/uri.cc lib/utf8.cc lib/error.cc
build/fuzz/uri: $(FUZZ_URI_SRCS) lib/utf8.h lib/internal.h include/levee.h
	@mkdir -p $(dir $@)
	clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Iinclude -Ilib -o $@ $(FUZZ_URI_SRCS) -lpthread
fuzz: build/fuzz/uri
