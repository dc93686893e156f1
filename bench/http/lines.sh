#!/usr/bin/env bash
# Lines of binding HTTP code (the protocol, the clients and servers) before
# the connection engine (the commit the http work started from) and now,
# per binding, with the engine's own lines beside them: all lines (wc -l)
# and code lines (without blank, comment and docstring lines).
#   bench/http/lines.sh [BEFORE=d0c654a]
set -eu
cd "$(dirname "$0")/../.."
before=${1:-d0c654a}
pack_rev() { # rev paths... -> name NUL content NUL ... of those at rev
	local rev=$1
	shift
	for p in "$@"; do printf '%s\0' "$p"; git show "$rev:$p" 2>/dev/null; printf '\0'; done
}
pack_now() { for p in "$@"; do printf '%s\0' "$p"; cat "$p"; printf '\0'; done; }
all() { tr -cd '\0\n' | awk 'BEGIN { RS = "\0" } NR % 2 == 0 { n += gsub(/\n/, "") } END { print n + 0 }'; }
code() { /usr/bin/python3 bench/http/codelines.py; }
lua_old=$(git ls-tree -r --name-only "$before" bindings/luajit/levee/p/http)
py_old=bindings/python/levee/http.py
lua_new=$(ls bindings/luajit/levee/p/http/*.lua)
py_new=$(ls bindings/python/levee/http/*.py)
printf 'binding HTTP code, lines: before (%s) -> now; all (wc -l) / code only\n' "$before"
printf '  LuaJIT levee/p/http/*.lua     %5d -> %5d   /  %5d -> %5d\n' \
	"$(pack_rev "$before" $lua_old | all)" "$(pack_now $lua_new | all)" \
	"$(pack_rev "$before" $lua_old | code)" "$(pack_now $lua_new | code)"
printf '  Python levee/http(.py, /*.py) %5d -> %5d   /  %5d -> %5d\n' \
	"$(pack_rev "$before" $py_old | all)" "$(pack_now $py_new | all)" \
	"$(pack_rev "$before" $py_old | code)" "$(pack_now $py_new | code)"
printf '  C engine lib/h1.cc (new)      %5d -> %5d\n' 0 "$(wc -l <lib/h1.cc)"
