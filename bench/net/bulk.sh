#!/usr/bin/env bash
# Bulk (issue 4): 1 GiB from a socat source through a proxy into a socat
# sink on loopback, the proxy being levee (bench/net/proxy_levee.lua) or
# socat itself; MB/s of each (median of RUNS, alternating) and the ratio.
#   bench/net/bulk.sh [MIB=1024] [RUNS=3]
set -eu
cd "$(dirname "$0")/../.."
mib=${1:-1024} runs=${2:-3}
eval "$(make --no-print-directory -s env)"

run() { # proxy kind -> MB/s
	local a=$((20000 + RANDOM % 20000)) b=$((40000 + RANDOM % 20000)) out pid sink t0 t1
	socat -u "TCP-LISTEN:$b,reuseaddr" OPEN:/dev/null &
	sink=$!
	sleep 0.2
	out=$(mktemp)
	if [ "$1" = levee ]; then
		luajit bench/net/proxy_levee.lua "$a" "$b" >"$out" 2>&1 &
		pid=$!
		for _ in $(seq 100); do grep -q ready "$out" && break; sleep 0.05; done
	else
		socat "TCP-LISTEN:$a,reuseaddr" "TCP:127.0.0.1:$b" &
		pid=$!
		sleep 0.2
	fi
	t0=$(date +%s.%N)
	head -c "${mib}M" /dev/zero | socat -u - "TCP:127.0.0.1:$a"
	wait "$pid" "$sink" 2>/dev/null || true
	t1=$(date +%s.%N)
	rm -f "$out"
	awk -v m="$mib" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f\n", m * 1.048576 / (t1 - t0) }'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
l="" s=""
for _ in $(seq "$runs"); do l+="$(run levee) "; s+="$(run socat) "; done
ml=$(tr ' ' '\n' <<<"$l" | grep . | median)
ms=$(tr ' ' '\n' <<<"$s" | grep . | median)
printf 'bulk: %d MiB through a proxy on loopback, median of %d runs (MB/s)\n' "$mib" "$runs"
printf '  levee proxy  %6s   (runs: %s)\n' "$ml" "${l% }"
printf '  socat proxy  %6s   (runs: %s)\n' "$ms" "${s% }"
awk -v l="$ml" -v s="$ms" 'BEGIN { printf "  levee / socat  %.2fx   (goal >= 0.9x)\n", l / s }'
