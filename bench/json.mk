# make bench-json: JSON decode/encode figures beside their references
# (simdjson, lua-cjson, stdlib json, ujson, orjson), measured in the same
# run. See docs/bench/json.md. JSON_DATA (the three documents) defaults to
# the copy in the repository; set it to measure other files of the same
# names. orjson is not a Debian package: the Python figures beside it run
# under ORJSON_PYTHON (default: the python3 first on PATH, which must have
# cffi and orjson; skipped when it has not).
JSON_DATA ?= tests/data/json/bench
JSON_RUNS ?= 5

ORJSON_PYTHON ?= python3

$(BUILD)/bench/json_tokenizer: bench/json/tokenizer.cc bench/json/timing.h include/levee.h $(BUILD)/$(SONAME)
	@mkdir -p $(dir $@)
	$(CXX) -std=c++20 $(CXXFLAGS) -Iinclude -o $@ $< -L$(BUILD) -Wl,-rpath,$(CURDIR)/$(BUILD) -llevee -lsimdjson

# Two builds of the library side by side (bench/json/ab.cc):
#   make bench-json-ab JSON_AB_A=old/liblevee.so.0 JSON_AB_B=build/liblevee.so.0
JSON_AB_A ?= $(BUILD)/$(SONAME)
JSON_AB_B ?= $(BUILD)/$(SONAME)

$(BUILD)/bench/json_ab: bench/json/ab.cc bench/json/timing.h bench/dl.h include/levee.h
	@mkdir -p $(dir $@)
	$(CXX) -std=c++20 $(CXXFLAGS) -Iinclude -o $@ $< -lsimdjson -ldl

bench-json-ab: all
	@$(MAKE) --no-print-directory bench-deps
	@$(MAKE) --no-print-directory $(BUILD)/bench/json_ab
	@$(BUILD)/bench/json_ab $(abspath $(JSON_AB_A)) $(abspath $(JSON_AB_B)) $(JSON_RUNS) $(JSON_DATA)/canada.json \
		$(JSON_DATA)/citm_catalog.json $(JSON_DATA)/twitter.json

bench-json: all
	@$(MAKE) --no-print-directory bench-deps
	@$(MAKE) --no-print-directory $(BUILD)/bench/json_tokenizer
	@echo "== C++ tokenizer alone, beside simdjson"
	@$(BUILD)/bench/json_tokenizer $(JSON_RUNS) $(JSON_DATA)/canada.json $(JSON_DATA)/citm_catalog.json $(JSON_DATA)/twitter.json
	@echo "== LuaJIT p.json vs lua-cjson (MB/s), one process per file"
	@eval "$$($(MAKE) -s env)"; luajit bench/json/lua_bench.lua $(JSON_DATA) $(JSON_RUNS) canada.json; \
		for f in citm_catalog.json twitter.json; do \
			JSON_NO_HEADER=1 luajit bench/json/lua_bench.lua $(JSON_DATA) $(JSON_RUNS) $$f; done
	@echo "== LuaJIT p.json vs lua-cjson (MB/s), one process for all three files"
	@eval "$$($(MAKE) -s env)"; luajit bench/json/lua_bench.lua $(JSON_DATA) $(JSON_RUNS)
	@echo "== Python levee.json.loads vs json / ujson, dumps vs json (MB/s)"
	@eval "$$($(MAKE) -s env)"; $(PYTHON) bench/json/py_bench.py $(JSON_DATA) $(JSON_RUNS)
	@echo "== Python levee.json vs orjson, under $(ORJSON_PYTHON) (MB/s)"
	@eval "$$($(MAKE) -s env)"; if $(ORJSON_PYTHON) -c "import cffi, orjson" 2>/dev/null; then \
		$(ORJSON_PYTHON) bench/json/py_bench.py $(JSON_DATA) $(JSON_RUNS) orjson; \
	else echo "(skipped: $(ORJSON_PYTHON) lacks cffi or orjson)"; fi

bench: bench-json
