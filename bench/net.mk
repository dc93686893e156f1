# make bench-net: the echo figure of issue 4 (levee vs lua-luv vs
# lua-cqueues under the same C load generator). See docs/bench/net.md.
NET_RUNS ?= 3

$(BUILD)/bench/loadgen: bench/net/loadgen.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -o $@ $<

bench-net: all $(BUILD)/bench/loadgen
	@$(MAKE) --no-print-directory bench-deps
	@bench/net/echo.sh $(BUILD)/bench/loadgen $(NET_RUNS)

bench-net-idle: all $(BUILD)/bench/loadgen
	@bench/net/idle.sh $(BUILD)/bench/loadgen 10000

bench-net-bulk: all
	@bench/net/bulk.sh 1024 3

bench: bench-net bench-net-idle bench-net-bulk
