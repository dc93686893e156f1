# make bench-http: requests parsed per second by the levee HTTP tokenizer
# beside picohttpparser and http_parser (libhttp-parser-dev) on the same
# bytes, same run. See docs/bench/http.md.
#
# picohttpparser is not a Debian package and never enters the repository:
# `make bench-http PICO_DIR=/path/to/picohttpparser` compiles its two files
# with the flags the library is built with. Without PICO_DIR the bench
# runs beside http_parser alone (the picohttpparser column then gives each
# SIMD level's rate instead of its ratio).
HTTP_RUNS ?= 7
HTTP_ITERS ?= 1000000
PICO_DIR ?=
PICO_OBJ := $(if $(PICO_DIR),$(BUILD)/bench/picohttpparser.o)

$(BUILD)/bench/picohttpparser.o: $(PICO_DIR)/picohttpparser.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/bench/http_parse: bench/http/parse.cc bench/http/common.h include/levee.h $(BUILD)/$(SONAME) $(PICO_OBJ)
	@mkdir -p $(dir $@)
	$(CXX) -std=c++20 $(CXXFLAGS) -Iinclude $(if $(PICO_DIR),-I$(PICO_DIR),-DLEVEE_BENCH_NO_PICO) -o $@ $< \
		$(PICO_OBJ) -L$(BUILD) -Wl,-rpath,$(CURDIR)/$(BUILD) -llevee -lhttp_parser

bench-http: all
	@$(MAKE) --no-print-directory bench-deps
	@$(MAKE) --no-print-directory $(BUILD)/bench/http_parse
	@echo "== HTTP request head parsing: levee vs picohttpparser and http_parser"
	@$(BUILD)/bench/http_parse $(HTTP_RUNS) $(HTTP_ITERS)

bench: bench-http

# Two builds of the library side by side on the same heads, beside
# picohttpparser (bench/http/ab.cc; needs PICO_DIR):
#   make bench-http-ab PICO_DIR=... HTTP_AB_A=old/liblevee.so.0 HTTP_AB_B=build/liblevee.so.0
HTTP_AB_A ?= $(BUILD)/$(SONAME)
HTTP_AB_B ?= $(BUILD)/$(SONAME)
HTTP_AB_RUNS ?= 15

$(BUILD)/bench/http_ab: bench/http/ab.cc bench/http/common.h bench/dl.h include/levee.h $(PICO_OBJ)
	@mkdir -p $(dir $@)
	$(CXX) -std=c++20 $(CXXFLAGS) -Iinclude -I$(PICO_DIR) -o $@ $< $(PICO_OBJ) -ldl

bench-http-ab: all
	@test -n "$(PICO_DIR)" || { echo "bench-http-ab: set PICO_DIR=/path/to/picohttpparser"; exit 2; }
	@$(MAKE) --no-print-directory $(BUILD)/bench/http_ab
	@$(BUILD)/bench/http_ab $(abspath $(HTTP_AB_A)) $(abspath $(HTTP_AB_B)) $(HTTP_AB_RUNS) $(HTTP_ITERS)

$(BUILD)/bench/keepalive: bench/http/keepalive.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -o $@ $<

# make bench-http-serve: levee's LuaJIT HTTP server beside nginx and its
# Python server beside uvicorn under wrk (requests/s, p99 latency, CPU per
# request), memory per idle keep-alive connection, lines of binding HTTP
# code before and after the engine. See docs/bench/http.md.
HTTP_SERVE_RUNS ?= 5
HTTP_SERVE_SECS ?= 10
bench-http-serve: all $(BUILD)/bench/keepalive
	@$(MAKE) --no-print-directory bench-deps
	@bench/http/serve.sh $(BUILD)/bench/keepalive $(HTTP_SERVE_RUNS) $(HTTP_SERVE_SECS) 10000

bench: bench-http-serve
