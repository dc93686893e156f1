# make bench-http: requests parsed per second by the levee HTTP tokenizer
# beside http_parser (libhttp-parser-dev) on the same bytes, same run. See
# docs/bench/http.md.
HTTP_RUNS ?= 7
HTTP_ITERS ?= 1000000

$(BUILD)/bench/http_parse: bench/http/parse.cc include/levee.h $(BUILD)/$(SONAME)
	@mkdir -p $(dir $@)
	$(CXX) -std=c++20 -O2 -Iinclude -o $@ $< -L$(BUILD) -Wl,-rpath,$(CURDIR)/$(BUILD) -llevee -lhttp_parser

bench-http: all $(BUILD)/bench/http_parse
	@echo "== HTTP request head parsing: levee vs http_parser"
	@$(BUILD)/bench/http_parse $(HTTP_RUNS) $(HTTP_ITERS)

bench: bench-http

$(BUILD)/bench/keepalive: bench/http/keepalive.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -o $@ $<

# make bench-http-serve: levee's HTTP server beside nginx under wrk, p99
# latency, memory per idle keep-alive connection. See docs/bench/http.md.
HTTP_SERVE_RUNS ?= 5
HTTP_SERVE_SECS ?= 10
bench-http-serve: all $(BUILD)/bench/keepalive
	@$(MAKE) --no-print-directory bench-deps
	@bench/http/serve.sh $(BUILD)/bench/keepalive $(HTTP_SERVE_RUNS) $(HTTP_SERVE_SECS) 10000

bench: bench-http-serve
