#!/usr/bin/env bash
# Echo figure (issue 4): 50 connections doing 64-byte round trips for 5 s
# against the levee LuaJIT echo server, then the same server on lua-luv
# (libuv) and on lua-cqueues, and the Python levee server beside asyncio,
# alternating, RUNS times; prints the median round trips/s of each and the
# ratios.
#   bench/net/echo.sh LOADGEN [RUNS=3] [SECONDS=5] [CONNS=50]
set -eu
cd "$(dirname "$0")/../.."
loadgen=$1 runs=${2:-3} secs=${3:-5} conns=${4:-50}
eval "$(make --no-print-directory -s env)"

run() { # server -> round trips/s
	local port=$((20000 + RANDOM % 20000)) out pid
	out=$(mktemp)
	case $1 in
		py-*) /usr/bin/python3 "bench/net/echo_${1#py-}.py" "$port" >"$out" 2>&1 & ;;
		*) luajit "bench/net/echo_$1.lua" "$port" >"$out" 2>&1 & ;;
	esac
	pid=$!
	for _ in $(seq 100); do grep -q ready "$out" && break; sleep 0.05; done
	"$loadgen" "$port" "$conns" "$secs" 64 || echo 0
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
	rm -f "$out"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A results
for _ in $(seq "$runs"); do
	for s in levee luv cqueues py-levee py-asyncio; do results[$s]+="$(run "$s") "; done
done
printf 'echo: %d connections, 64-byte round trips, %d s, median of %d runs (round trips/s)\n' \
	"$conns" "$secs" "$runs"
for s in levee luv cqueues py-levee py-asyncio; do
	m=$(tr ' ' '\n' <<<"${results[$s]}" | grep . | median)
	printf '  %-8s %10s   (runs: %s)\n' "$s" "$m" "${results[$s]% }"
	eval "med_${s//-/_}=$m"
done
best=$(( med_luv > med_cqueues ? med_luv : med_cqueues ))
awk -v l="$med_levee" -v b="$best" 'BEGIN { printf "  levee / best reference  %.2fx   (goal >= 1.0x)\n", l / b }'
awk -v l="$med_py_levee" -v a="$med_py_asyncio" 'BEGIN { printf "  Python levee / asyncio  %.2fx\n", l / a }'
