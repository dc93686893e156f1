# make bench-json: JSON decode/encode figures beside their references
# (lua-cjson, stdlib json, ujson), measured in the same run. See
# docs/bench/json.md. JSON_DATA (the three documents) defaults to the copy
# in the repository; set it to measure other files of the same names.
JSON_DATA ?= tests/data/json/bench
JSON_RUNS ?= 5

$(BUILD)/bench/json_tokenizer: bench/json/tokenizer.cc include/levee.h $(BUILD)/$(SONAME)
	@mkdir -p $(dir $@)
	$(CXX) -std=c++20 -O2 -Iinclude -o $@ $< -L$(BUILD) -Wl,-rpath,$(CURDIR)/$(BUILD) -llevee

bench-json: all $(BUILD)/bench/json_tokenizer
	@$(MAKE) --no-print-directory bench-deps
	@echo "== C++ tokenizer alone"
	@$(BUILD)/bench/json_tokenizer $(JSON_DATA)/canada.json $(JSON_DATA)/citm_catalog.json $(JSON_DATA)/twitter.json
	@echo "== LuaJIT p.json vs lua-cjson (MB/s), one process per file"
	@eval "$$($(MAKE) -s env)"; luajit bench/json/lua_bench.lua $(JSON_DATA) $(JSON_RUNS) canada.json; \
		for f in citm_catalog.json twitter.json; do \
			JSON_NO_HEADER=1 luajit bench/json/lua_bench.lua $(JSON_DATA) $(JSON_RUNS) $$f; done
	@echo "== LuaJIT p.json vs lua-cjson (MB/s), one process for all three files"
	@eval "$$($(MAKE) -s env)"; luajit bench/json/lua_bench.lua $(JSON_DATA) $(JSON_RUNS)
	@echo "== Python levee.json.loads vs json / ujson (MB/s)"
	@eval "$$($(MAKE) -s env)"; $(PYTHON) bench/json/py_bench.py $(JSON_DATA) $(JSON_RUNS)

bench: bench-json
