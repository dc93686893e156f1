# make bench-proc: channel messages/s between two OS threads beside a pipe
# and a mutex+condvar queue, and spawn+wait of /bin/true per second beside
# posix_spawn and Python's subprocess. See docs/bench/proc.md.
# make bench-proc-http: hello-world requests/s with 2 levee threads beside
# nginx-light with 2 workers under wrk, and 1 thread beside 1 worker.
PROC_RUNS ?= 5
PROC_CHAN_N ?= 2000000
PROC_SPAWN_N ?= 2000
PROC_HTTP_RUNS ?= 3
PROC_HTTP_SECS ?= 10

$(BUILD)/bench/proc_chan: bench/proc/chan.cc include/levee.h $(BUILD)/$(SONAME)
	@mkdir -p $(dir $@)
	$(CXX) -std=c++20 -O2 -Iinclude -o $@ $< -L$(BUILD) -Wl,-rpath,$(CURDIR)/$(BUILD) -llevee -lpthread

$(BUILD)/bench/proc_spawn: bench/proc/spawn.c include/levee.h $(BUILD)/$(SONAME)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -Iinclude -o $@ $< -L$(BUILD) -Wl,-rpath,$(CURDIR)/$(BUILD) -llevee

bench-proc: all $(BUILD)/bench/proc_chan $(BUILD)/bench/proc_spawn
	@bench/proc/run.sh $(BUILD) $(PROC_RUNS) $(PROC_CHAN_N) $(PROC_SPAWN_N)

bench-proc-http: all
	@$(MAKE) --no-print-directory bench-deps
	@bench/proc/http.sh $(PROC_HTTP_RUNS) $(PROC_HTTP_SECS)

bench: bench-proc bench-proc-http
