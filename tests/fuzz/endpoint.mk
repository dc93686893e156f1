# libFuzzer target for endpoint parsing/formatting (make fuzz; tests/suites/fuzz-endpoint).
FUZZ_ENDPOINT_SRCS := tests/fuzz/endpoint.cc lib/endpoint.cc lib/error.cc
build/fuzz/endpoint: $(FUZZ_ENDPOINT_SRCS) lib/internal.h include/levee.h
	@mkdir -p $(dir $@)
	clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Iinclude -Ilib -o $@ $(FUZZ_ENDPOINT_SRCS) -lpthread
fuzz: build/fuzz/endpoint
