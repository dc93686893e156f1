# levee — build, test, install, demo, bench.
#
#   make            build build/liblevee.so.0.<minor>.<patch>, its links and build/liblevee.a
#   make deps       install the Debian packages that are missing (apt-get)
#   make test       deps + build + every test suite; ends with "N passed, N failed"
#   make demo       deps + build + the end-to-end demo
#   make env        print the exports for using the in-tree build
#   make install    PREFIX=/usr/local DESTDIR=   (make uninstall removes)
#   make deb        the Debian packages in build/deb (dpkg-buildpackage, lintian)
#   make version    print the version (levee.h's LEVEE_VERSION_* lines)
#   make bench      run the benchmarks in bench/ (installs the reference packages)
#   make fuzz       build the libFuzzer targets in tests/fuzz/
#
#   make test SANITIZE=address,undefined   build and run everything under the sanitizers
#
# Nothing here runs pkg-config at parse time: `make deps` may be what
# installs it. Flags that need it are recursively expanded variables used
# only inside recipes.

# The version is written in one place, the LEVEE_VERSION_* lines of levee.h.
VERSION := $(shell tools/gen-cdef version include/levee.h)
VERSION_MAJOR := $(word 1,$(subst ., ,$(VERSION)))

PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
LUADIR ?= $(PREFIX)/share/lua/5.1
DOCDIR ?= $(PREFIX)/share/doc/levee
# Debian's python3 looks in /usr/lib/python3/dist-packages for PREFIX=/usr and
# in /usr/local/lib/python3.X/dist-packages for PREFIX=/usr/local.
PYTHON := /usr/bin/python3
PYDIR ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/lib/python3/dist-packages,$(PREFIX)/lib/python3.$(shell $(PYTHON) -c 'import sys; print(sys.version_info[1])' 2>/dev/null || echo 11)/dist-packages)

SANITIZE ?=
ifneq ($(SANITIZE),)
BUILD ?= build/san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD ?= build
SANFLAGS :=
endif

# Parallel jobs of the build steps `make test` and `make demo` run.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

CXX ?= g++
CC ?= gcc
OPT ?= -O2
CXXFLAGS ?= $(OPT) -g
CFLAGS ?= $(OPT) -g
# CPPFLAGS and LDFLAGS reach the library's compile and link lines (packages
# pass their hardening flags through them).
CPPFLAGS ?=
LDFLAGS ?=
# -falign-functions=64: every function starts on a cache line, so code
# added to one file does not move another's hot loops across line and
# op-cache boundaries (docs/design.md, "Function alignment").
LEVEE_CXXFLAGS = -std=c++20 -fPIC -fvisibility=hidden -fvisibility-inlines-hidden -falign-functions=64 \
	-Wall -Wextra -Iinclude -Ilib -ffile-prefix-map=$(CURDIR)=. $(SANFLAGS) $(shell pkg-config --cflags libevent libtls 2>/dev/null)
LEVEE_LIBS = $(shell pkg-config --libs libevent_pthreads libevent libtls 2>/dev/null) -lpthread

SONAME := liblevee.so.$(VERSION_MAJOR)
SHLIB := $(BUILD)/liblevee.so.$(VERSION)
STLIB := $(BUILD)/liblevee.a

LIB_SRCS := $(sort $(wildcard lib/*.cc))
LIB_OBJS := $(LIB_SRCS:lib/%.cc=$(BUILD)/obj/%.o)
LIB_HDRS := include/levee.h $(wildcard lib/*.h)

.PHONY: all bindings lua-binding python-binding deps test demo env version install install-lib \
	install-lua install-python install-python-ext install-docs uninstall clean bench fuzz check-deps abi-baseline \
	symbols deb

# The declaration block of levee.h as a module of each binding, generated
# here and installed with the binding, so an installed binding loads without
# levee.h (tools/gen-cdef; never edited, never committed).
LUA_CDEF := $(BUILD)/bindings/luajit/levee/_cdef.lua
PY_CDEF := $(BUILD)/bindings/python/levee/_cdef.py

# CPython extension modules (see their rule below).
PYEXT_SRCS := $(sort $(wildcard bindings/python/ext/*.c))
PYEXT_DIR := $(BUILD)/bindings/python/levee
PYEXT_STAMPS := $(PYEXT_SRCS:bindings/python/ext/%.c=$(BUILD)/obj/pyext/%.stamp)

all: $(SHLIB) $(BUILD)/$(SONAME) $(BUILD)/liblevee.so $(STLIB) $(BUILD)/levee.pc bindings

bindings: lua-binding python-binding
lua-binding: $(LUA_CDEF)
python-binding: $(PY_CDEF) $(PYEXT_STAMPS)

$(LUA_CDEF): include/levee.h tools/gen-cdef
	tools/gen-cdef lua include/levee.h $@
$(PY_CDEF): include/levee.h tools/gen-cdef
	tools/gen-cdef python include/levee.h $@

# CPython extension modules of the Python binding: every
# bindings/python/ext/NAME.c becomes the module levee.NAME, built for
# $(PYTHON) as $(BUILD)/bindings/python/levee/NAME<EXT_SUFFIX> and linked
# against liblevee.so.0 (no rpath: the loader resolves the soname to the
# copy levee._ffi loaded first; docs/design.md, "Python JSON extension").
# EXT_SUFFIX and the include directory are asked of $(PYTHON) in the recipe,
# after `make deps` installed python3-dev; a stamp stands for the module.
PYEXT_SUFFIX = $$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
# Python builds extensions with NDEBUG (the asserts of its headers' inline
# functions cost a type check per access); sanitizer builds keep them.
PYEXT_NDEBUG = $(if $(SANITIZE),,-DNDEBUG)
PYEXT_INCLUDE = $$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
# greenlet.h (greenlet's C API) ships inside the greenlet package; a module
# that includes it checks __has_include and falls back without it.
PYEXT_GREENLET = $$($(PYTHON) -c 'import greenlet, os; print(os.path.dirname(greenlet.__file__))' 2>/dev/null || echo .)

$(BUILD)/obj/pyext/%.stamp: bindings/python/ext/%.c include/levee.h $(BUILD)/$(SONAME)
	@mkdir -p $(dir $@) $(PYEXT_DIR)
	$(CC) -std=c11 -shared -fPIC -fvisibility=hidden -Wall -Wextra $(PYEXT_NDEBUG) -Iinclude -I"$(PYEXT_INCLUDE)" -isystem "$(PYEXT_GREENLET)" \
		-ffile-prefix-map=$(CURDIR)=. $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) $(LDFLAGS) \
		-o $(PYEXT_DIR)/$*$(PYEXT_SUFFIX) $< -L$(BUILD) -llevee
	touch $@

$(BUILD)/obj/%.o: lib/%.cc $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(LEVEE_CXXFLAGS) -c $< -o $@

$(SHLIB): $(LIB_OBJS) lib/levee.map
	$(CXX) -shared $(CXXFLAGS) $(LDFLAGS) $(SANFLAGS) -Wl,-soname,$(SONAME) -Wl,--version-script=lib/levee.map \
		-Wl,--no-undefined -o $@ $(LIB_OBJS) $(LEVEE_LIBS)

$(BUILD)/$(SONAME): $(SHLIB)
	ln -sf $(notdir $(SHLIB)) $@

$(BUILD)/liblevee.so: $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $@

$(STLIB): $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

# levee.pc for the in-tree build (install writes its own for PREFIX).
$(BUILD)/levee.pc: pkgconfig/levee.pc.in include/levee.h
	sed -e 's|@PREFIX@|$(CURDIR)|; s|@LIBDIR@|$(CURDIR)/$(BUILD)|; s|@INCLUDEDIR@|$(CURDIR)/include|; s|@VERSION@|$(VERSION)|' $< > $@

# ---------------------------------------------------------------- packages
# The Debian packages (`make deb`): the library's build dependencies and
# the packaging tools.
DEPS_DEB := g++ make pkg-config libevent-dev libtls-dev python3 \
	dpkg-dev debhelper dh-python lintian
# Build and test: what `make test` and `make demo` need on a fresh machine
# (tests/suites/packages also installs with pip and LuaRocks).
DEPS_BUILD := $(DEPS_DEB) luajit libluajit-5.1-dev \
	python3-cffi python3-greenlet python3-pytest python3-dev \
	googletest libgtest-dev clang libclang-rt-14-dev \
	socat curl openssl nginx-light abigail-tools \
	luarocks python3-pip python3-setuptools python3-wheel
# References measured by `make bench`.
DEPS_BENCH := lua-cjson lua-cqueues lua-luv lua-http wrk python3-gevent python3-ujson python3-uvloop libssl-dev \
	libhttp-parser-dev libsimdjson-dev zlib1g libxxhash0 python3-uvicorn python3-httptools

deps:
	@tools/install-deps $(DEPS_BUILD)

bench-deps:
	@tools/install-deps $(DEPS_BUILD) $(DEPS_BENCH)

# ---------------------------------------------------------------- env
version:
	@echo $(VERSION)

env:
	@echo 'export LD_LIBRARY_PATH="$(CURDIR)/$(BUILD)$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}"'
	@echo 'export LUA_PATH="$(CURDIR)/bindings/luajit/?.lua;$(CURDIR)/bindings/luajit/?/init.lua;$${LUA_PATH:-;}"'
	@echo 'export PYTHONPATH="$(CURDIR)/bindings/python$${PYTHONPATH:+:$$PYTHONPATH}"'
	@echo 'export PKG_CONFIG_PATH="$(CURDIR)/$(BUILD)$${PKG_CONFIG_PATH:+:$$PKG_CONFIG_PATH}"'

# ---------------------------------------------------------------- tests
GTEST_LIBS := -lgtest -lgtest_main -lpthread
C_TEST_SRCS := $(sort $(wildcard tests/c/*.cc))
UNIT_TEST_SRCS := $(sort $(wildcard tests/unit/*.cc))

# Black-box tests: only levee.h and the shared library. One object per
# file, so `make -j` compiles them side by side.
C_TEST_OBJS := $(patsubst tests/c/%.cc,$(BUILD)/tests/c/%.o,$(C_TEST_SRCS))
$(BUILD)/tests/c/%.o: tests/c/%.cc $(wildcard tests/c/*.h) include/levee.h
	@mkdir -p $(dir $@)
	$(CXX) -std=c++20 $(CXXFLAGS) $(SANFLAGS) -Wall -Wextra -Iinclude -c $< -o $@
$(BUILD)/tests/c_tests: $(C_TEST_OBJS) $(BUILD)/$(SONAME)
	$(CXX) $(CXXFLAGS) $(SANFLAGS) -o $@ $(C_TEST_OBJS) \
		-L$(BUILD) -Wl,-rpath,$(CURDIR)/$(BUILD) -llevee $(GTEST_LIBS)

# White-box tests of the C++ core: link the static library, see lib/*.h.
UNIT_TEST_OBJS := $(patsubst tests/unit/%.cc,$(BUILD)/tests/unit/%.o,$(UNIT_TEST_SRCS))
$(BUILD)/tests/unit/%.o: tests/unit/%.cc $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $(LEVEE_CXXFLAGS) -c $< -o $@
$(BUILD)/tests/unit_tests: $(UNIT_TEST_OBJS) $(STLIB)
	$(CXX) $(CXXFLAGS) $(LEVEE_CXXFLAGS) -o $@ $(UNIT_TEST_OBJS) $(STLIB) $(LEVEE_LIBS) $(GTEST_LIBS)

# The header compiles as strict C99 and as C++.
$(BUILD)/tests/header_c.o: tests/header/header_test.c include/levee.h
	@mkdir -p $(dir $@)
	$(CC) -std=c99 -pedantic -Wall -Wextra -Werror -Iinclude -c $< -o $@
$(BUILD)/tests/header_cxx.o: tests/header/header_test.c include/levee.h
	@mkdir -p $(dir $@)
	$(CXX) -x c++ -std=c++11 -pedantic -Wall -Wextra -Werror -Iinclude -c $< -o $@

test-build: all $(BUILD)/tests/c_tests $(BUILD)/tests/unit_tests \
	$(BUILD)/tests/header_c.o $(BUILD)/tests/header_cxx.o

test:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory -j$(JOBS) test-build
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) PYTHON=$(PYTHON) tests/run-all

# ---------------------------------------------------------------- demo
demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@BUILD=$(BUILD) examples/demo

# ---------------------------------------------------------------- install
# RECORD_LIBRARY=no leaves out levee/_install.{lua,py}, the installed
# library's path that the bindings try before dlopen("liblevee.so.0")
# (packages rely on the soname alone).
RECORD_LIBRARY ?= yes

install: install-lib install-lua install-python install-python-ext install-docs
	if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then ldconfig; fi

install-lib: $(SHLIB) $(BUILD)/$(SONAME) $(STLIB)
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 0644 include/levee.h $(DESTDIR)$(INCLUDEDIR)/levee.h
	install -m 0644 $(SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SHLIB)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/liblevee.so
	install -m 0644 $(STLIB) $(DESTDIR)$(LIBDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' \
		pkgconfig/levee.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/levee.pc

# The LuaJIT binding alone (also what the rockspec runs, with its LUADIR).
install-lua: $(LUA_CDEF)
	install -d $(DESTDIR)$(LUADIR)
	rm -rf $(DESTDIR)$(LUADIR)/levee
	cp -R bindings/luajit/levee $(DESTDIR)$(LUADIR)/levee
	install -m 0644 $(LUA_CDEF) $(DESTDIR)$(LUADIR)/levee/_cdef.lua
	if [ "$(RECORD_LIBRARY)" = yes ]; then tools/write-install-paths lua $(DESTDIR)$(LUADIR)/levee $(LIBDIR)/$(SONAME); fi

install-python: $(PY_CDEF)
	install -d $(DESTDIR)$(PYDIR)
	rm -rf $(DESTDIR)$(PYDIR)/levee
	cp -R bindings/python/levee $(DESTDIR)$(PYDIR)/levee
	find $(DESTDIR)$(PYDIR)/levee -name __pycache__ -prune -exec rm -rf {} +
	install -m 0644 $(PY_CDEF) $(DESTDIR)$(PYDIR)/levee/_cdef.py
	if [ "$(RECORD_LIBRARY)" = yes ]; then tools/write-install-paths python $(DESTDIR)$(PYDIR)/levee $(LIBDIR)/$(SONAME); fi

# The extension modules (levee.json's native path) beside the package;
# without them the package runs its pure-Python paths. Not part of the
# architecture-independent python3-levee Debian package.
install-python-ext: install-python $(PYEXT_STAMPS)
	for f in $(PYEXT_SRCS:bindings/python/ext/%.c=%); do \
		install -m 0644 $(PYEXT_DIR)/$$f$(PYEXT_SUFFIX) $(DESTDIR)$(PYDIR)/levee/ || exit 1; done

install-docs:
	install -d $(DESTDIR)$(DOCDIR)
	cp -R docs/. $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/levee.h $(DESTDIR)$(LIBDIR)/liblevee.so* \
		$(DESTDIR)$(LIBDIR)/liblevee.a $(DESTDIR)$(LIBDIR)/pkgconfig/levee.pc
	rm -rf $(DESTDIR)$(LUADIR)/levee $(DESTDIR)$(PYDIR)/levee $(DESTDIR)$(DOCDIR)
	if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then ldconfig; fi

clean:
	rm -rf build

# Benchmarks and fuzz targets add their own rules here (one file each).
-include bench/*.mk
-include tests/fuzz/*.mk

# The ABI baseline that tests/suites/abi compares every build against.
# Regenerate it only when a release deliberately changes the ABI
# (docs/abi.md): additions are compatible, removals and changes are not.
# It also refreshes the symbols file of the Debian package (make symbols).
ABI_BASELINE := abi/liblevee.so.0.abi
abi-baseline: all symbols
	@mkdir -p abi
	abidw --no-corpus-path --drop-private-types --headers-dir include \
		$(BUILD)/$(SONAME) --out-file $(ABI_BASELINE)

# debian/liblevee0.symbols records the version each function appeared in;
# new functions get levee.h's version (tools/gen-symbols).
symbols:
	tools/gen-symbols include/levee.h lib/levee.map debian/liblevee0.symbols >debian/liblevee0.symbols.new
	mv debian/liblevee0.symbols.new debian/liblevee0.symbols

# ---------------------------------------------------------------- packages
# make deb: liblevee0, liblevee-dev, lua-levee and python3-levee with
# dpkg-buildpackage, from a copy of the sources (dpkg-buildpackage writes its
# results beside the source directory), then lintian. The .deb files land in
# DEB_DIR.
DEB_DIR ?= $(BUILD)/deb
deb:
	@tools/install-deps $(DEPS_DEB)
	@tools/build-debs $(DEB_DIR) $(VERSION)
