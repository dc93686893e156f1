# make bench-hub: green-thread switch rate beside raw coroutines and
# lua-cqueues, and 100,000 sleeping green threads. See docs/bench/hub.md.
HUB_ROUND_TRIPS ?= 1000000
HUB_RUNS ?= 5

bench-hub: all
	@$(MAKE) --no-print-directory bench-deps
	@eval "$$($(MAKE) -s env)"; luajit bench/hub/pingpong.lua $(HUB_ROUND_TRIPS) $(HUB_RUNS)
	@eval "$$($(MAKE) -s env)"; luajit bench/hub/timers.lua 100000

bench: bench-hub
