# libFuzzer target for the DNS message codec (make fuzz; tests/suites/fuzz-dns).
FUZZ_DNS_SRCS := tests/fuzz/dns.cc lib/dns.cc lib/endpoint.cc lib/error.cc
build/fuzz/dns: $(FUZZ_DNS_SRCS) lib/internal.h include/levee.h
	@mkdir -p $(dir $@)
	clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Iinclude -Ilib -o $@ $(FUZZ_DNS_SRCS) -lpthread
fuzz: build/fuzz/dns
