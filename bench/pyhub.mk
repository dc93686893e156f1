# make bench-pyhub: Python green-thread switch rate beside gevent.
# See docs/bench/hub.md.
PYHUB_ROUND_TRIPS ?= 200000
PYHUB_RUNS ?= 5

bench-pyhub: all
	@$(MAKE) --no-print-directory bench-deps
	@eval "$$($(MAKE) -s env)"; $(PYTHON) bench/pyhub/pingpong.py $(PYHUB_ROUND_TRIPS) $(PYHUB_RUNS)

bench: bench-pyhub
