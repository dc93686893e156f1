# make bench-net: the echo figure of issue 4 (levee vs lua-luv vs
# lua-cqueues under the same C load generator). See docs/bench/net.md.
NET_RUNS ?= 3

$(BUILD)/bench/loadgen: bench/net/loadgen.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -o $@ $<

bench-net: all $(BUILD)/bench/loadgen
	@$(MAKE) --no-print-directory bench-deps
	@bench/net/echo.sh $(BUILD)/bench/loadgen $(NET_RUNS)

# Echo before and after io moved onto levee_stream (issue 12). NET_BEFORE is
# the last commit before the move; any revision works.
NET_BEFORE ?= d0c654a
# NET_PIN=1: servers on CPU 0, the load generator on CPU 1 (bench/net/stream.sh)
NET_PIN ?= 0
bench-net-stream: all $(BUILD)/bench/loadgen
	@$(MAKE) --no-print-directory bench-deps
	@PIN=$(NET_PIN) bench/net/stream.sh $(BUILD)/bench/loadgen $(NET_BEFORE) $(NET_RUNS)

bench-net-idle: all $(BUILD)/bench/loadgen
	@bench/net/idle.sh $(BUILD)/bench/loadgen 10000

bench-net-bulk: all
	@bench/net/bulk.sh 1024 3

bench: bench-net bench-net-stream bench-net-idle bench-net-bulk
