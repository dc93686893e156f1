# make bench-modules: p.uri parse throughput beside Lua string patterns and
# Python's urllib.parse.urlsplit, and _.hash throughput beside C references
# (zlib crc32, the reference SipHash, xxHash XXH64, levee's own table path
# for crc32c), each measured in the same run. See docs/bench/modules.md.
MODULES_RUNS ?= 7

$(BUILD)/bench/siphash_ref.so: bench/modules/siphash_ref.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -shared -fPIC -o $@ $<

bench-modules: all $(BUILD)/bench/siphash_ref.so
	@$(MAKE) --no-print-directory bench-deps
	@echo "== p.uri parse (LuaJIT) vs Lua patterns"
	@eval "$$($(MAKE) -s env)"; luajit bench/modules/uri.lua $(MODULES_RUNS)
	@echo "== levee.uri parse (Python) vs urllib.parse.urlsplit"
	@eval "$$($(MAKE) -s env)"; $(PYTHON) bench/modules/uri.py $(MODULES_RUNS)
	@echo "== _.hash (LuaJIT) vs C references"
	@eval "$$($(MAKE) -s env)"; luajit bench/modules/hash.lua $(BUILD)/bench/siphash_ref.so $(MODULES_RUNS)
	@echo "== levee.hash.crc32 (Python) vs zlib.crc32"
	@eval "$$($(MAKE) -s env)"; $(PYTHON) bench/modules/hash.py $(MODULES_RUNS)

bench: bench-modules
