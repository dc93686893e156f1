#!/usr/bin/env bash
# Echo before and after io moved onto the core stream (issue 12): the same
# echo programs (bench/net/echo_levee.lua and echo_levee.py) run on the
# library and bindings of revision BEFORE (exported and built into
# build/bench/before-REV) and on this tree, beside lua-luv, lua-cqueues and
# asyncio on uvloop, alternating, RUNS times. Prints the median round
# trips/s of each and the ratios, and the median server CPU time per round
# trip (user + system, from /proc), which the load of other processes on
# the machine disturbs much less than the rate.
#   bench/net/stream.sh LOADGEN BEFORE [RUNS=5] [SECONDS=5] [CONNS=50]
# With PIN=1 (make bench-net-stream NET_PIN=1) every server runs on CPU 0
# and the load generator on CPU 1, as a remote client would be: unpinned on
# a 2-core machine the scheduler often puts both on one CPU, and then its
# wake-up preemption between the two weighs on the figures as much as the
# server's own work (docs/bench/net.md).
set -eu
cd "$(dirname "$0")/../.."
loadgen=$1 before=$2 runs=${3:-5} secs=${4:-5} conns=${5:-50}
here=$PWD
rev=$(git rev-parse --short "$before")
btree=$here/build/bench/before-$rev
if [ ! -e "$btree/build/liblevee.so.0" ]; then
	rm -rf "$btree" && mkdir -p "$btree"
	git archive "$rev" | tar -x -C "$btree"
	make --no-print-directory -C "$btree" -j2 all >/dev/null
fi
tick=$(getconf CLK_TCK)
pin_server=() pin_load=()
if [ "${PIN:-0}" = 1 ]; then pin_server=(taskset -c 0) pin_load=(taskset -c 1); fi

cpu() { # pid -> user+system clock ticks
	awk '{print $14 + $15}' "/proc/$1/stat"
}

start() { # server tree port out: the server in the background, its pid in $pid
	local server=$1 tree=$2 port=$3 out=$4
	(
		cd "$tree" && eval "$(make --no-print-directory -s env)" && cd "$here"
		case $server in
			py-levee) exec "${pin_server[@]}" /usr/bin/python3 bench/net/echo_levee.py "$port" ;;
			py-asyncio) exec "${pin_server[@]}" /usr/bin/python3 bench/net/echo_asyncio.py "$port" ;;
			*) exec "${pin_server[@]}" luajit "bench/net/echo_$server.lua" "$port" ;;
		esac
	) >"$out" 2>&1 &
	pid=$!
}

# A server that does not say "ready" within 20 s (a loaded machine) or
# exits, or a load generator that fails, is no measurement: the server is
# started again on another port (3 tries). A run that never worked answers
# "fail" and is left out of the medians (the failed column counts them).
run() { # server tree -> "round_trips/s cpu_us_per_round_trip", or "fail"
	local server=$1 tree=$2 port out pid c0 c1 rate try ok
	out=$(mktemp)
	for try in 1 2 3; do
		port=$((20000 + RANDOM % 20000))
		start "$server" "$tree" "$port" "$out"
		ok= rate=0
		for _ in $(seq 400); do
			if grep -q ready "$out"; then ok=1; break; fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		if [ -n "$ok" ]; then
			c0=$(cpu "$pid")
			rate=$("${pin_load[@]}" "$loadgen" "$port" "$conns" "$secs" 64 2>"$out.load") || rate=0
			c1=$(cpu "$pid" 2>/dev/null) || rate=0
		fi
		kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
		[[ $rate =~ ^[0-9]+$ ]] && [ "$rate" -gt 0 ] && break
		rate=0
		if [ -n "$ok" ]; then
			echo "  ($server: try $try failed: the load generator said: $(head -n 1 "$out.load"))" >&2
		else
			echo "  ($server: try $try failed: no ready within 20 s)" >&2
		fi
	done
	rm -f "$out" "$out.load"
	if [ "$rate" -eq 0 ]; then
		echo fail
	else
		awk -v r="$rate" -v c=$((c1 - c0)) -v t="$tick" -v s="$secs" \
			'BEGIN { printf "%d %.2f\n", r, c / t * 1e6 / (r * s) }'
	fi
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : 0)}'; }

names=(lua-before lua-after luv cqueues py-before py-after py-asyncio)
declare -A rates cpus fails
for _ in $(seq "$runs"); do
	for n in "${names[@]}"; do
		case $n in
			lua-before) r=$(run levee "$btree") ;;
			lua-after) r=$(run levee "$here") ;;
			py-before) r=$(run py-levee "$btree") ;;
			py-after) r=$(run py-levee "$here") ;;
			*) r=$(run "$n" "$here") ;;
		esac
		if [ "$r" = fail ]; then
			fails[$n]=$((${fails[$n]:-0} + 1))
		else
			rates[$n]+="${r% *} " cpus[$n]+="${r#* } "
		fi
	done
done
printf 'echo: %d connections, 64-byte round trips, %d s, median of %d runs; before = %s%s\n' \
	"$conns" "$secs" "$runs" "$rev" "${pin_load:+; server on CPU 0, load generator on CPU 1}"
printf '  %-11s %12s %14s %7s   %s\n' server "round trips/s" "server us/rt" failed "runs (round trips/s)"
declare -A med medc
for n in "${names[@]}"; do
	med[$n]=$(tr ' ' '\n' <<<"${rates[$n]:-}" | grep . | median)
	medc[$n]=$(tr ' ' '\n' <<<"${cpus[$n]:-}" | grep . | median)
	printf '  %-11s %12s %14s %7s   %s\n' "$n" "${med[$n]}" "${medc[$n]}" "${fails[$n]:-0}" "${rates[$n]:-none}"
done
echo "  (failed: runs whose server never said ready, or whose load failed, in 3 tries; not in the medians)"
best=$(( med[luv] > med[cqueues] ? med[luv] : med[cqueues] ))
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }'; }
printf '  LuaJIT after / before      %s rate, %s CPU per round trip (before / after)\n' \
	"$(ratio "${med[lua-after]}" "${med[lua-before]}")" "$(ratio "${medc[lua-before]}" "${medc[lua-after]}")"
printf '  LuaJIT after / best of luv, cqueues   %s   (goal: no regression; before %s)\n' \
	"$(ratio "${med[lua-after]}" "$best")" "$(ratio "${med[lua-before]}" "$best")"
printf '  Python after / before      %s rate, %s CPU per round trip (before / after)\n' \
	"$(ratio "${med[py-after]}" "${med[py-before]}")" "$(ratio "${medc[py-before]}" "${medc[py-after]}")"
printf '  Python after / asyncio+uvloop   %s rate, %s CPU per round trip (uvloop / levee)   (goal >= 1.0x; before %s)\n' \
	"$(ratio "${med[py-after]}" "${med[py-asyncio]}")" "$(ratio "${medc[py-asyncio]}" "${medc[py-after]}")" \
	"$(ratio "${med[py-before]}" "${med[py-asyncio]}")"
