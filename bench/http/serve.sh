#!/usr/bin/env bash
# Server figures (HTTP issue): hello-world keep-alive requests/s and p99
# latency under `wrk -t1 -c50 -d${SECS}s` against the levee LuaJIT server
# (h.http, 0.3 API), the levee Python server when bench/http/server_levee.py
# exists, and nginx-light with one worker returning the same body;
# alternating runs, RUNS times; medians and ratios to nginx. Then resident
# memory per idle keep-alive connection with N connections open (levee and
# nginx).
#   bench/http/serve.sh KEEPALIVE_BIN [RUNS=5] [SECS=10] [N=10000]
set -eu
cd "$(dirname "$0")/../.."
keepalive=$1 runs=${2:-5} secs=${3:-10} n=${4:-10000}
eval "$(make --no-print-directory -s env)"
ulimit -n 20000
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

. bench/servers.sh

start() { # server port [n] -> pid; waits until the port answers
	case $1 in
		nginx) nginx -c "$(nginx_conf "$2")" -p "$tmp/nginx" >/dev/null 2>&1 & ;;
		levee) luajit bench/http/server_levee.lua "$2" ${3:-} >"$tmp/out" 2>&1 & ;;
		py-levee) /usr/bin/python3 bench/http/server_levee.py "$2" ${3:-} >"$tmp/out" 2>&1 & ;;
	esac
	local pid=$!
	wait_http "$2"
	echo "$pid"
}

# wrk's p99 ("99%   1.52ms") in microseconds
p99_us() { awk '$1 == "99%" { v = $2; u = 1;
	if (v ~ /us$/) u = 1; else if (v ~ /ms$/) u = 1000; else if (v ~ /s$/) u = 1000000;
	gsub(/[a-z]+$/, "", v); printf "%d\n", v * u }'; }

servers="nginx levee"
[ -f bench/http/server_levee.py ] && servers="$servers py-levee"
declare -A rps lat
for _ in $(seq "$runs"); do
	for s in $servers; do
		port=$((20000 + RANDOM % 20000))
		pid=$(start "$s" "$port")
		out=$(wrk -t1 -c50 -d"${secs}s" --latency "http://127.0.0.1:$port/" 2>&1 || true)
		stop "$pid"
		rps[$s]+="$(awk '/^Requests\/sec/ { printf "%d", $2 }' <<<"$out") "
		lat[$s]+="$(p99_us <<<"$out") "
	done
done

printf 'wrk -t1 -c50 -d%ss, hello world, keep-alive; median of %d alternating runs\n' "$secs" "$runs"
printf '  %-9s %12s %10s   %s\n' server "requests/s" "p99 (us)" "runs (requests/s)"
for s in $servers; do
	m=$(median <<<"${rps[$s]}") l=$(median <<<"${lat[$s]}")
	printf '  %-9s %12s %10s   %s\n' "$s" "$m" "$l" "${rps[$s]% }"
	eval "rps_${s//-/_}=$m lat_${s//-/_}=$l"
done
awk -v a="$rps_levee" -v b="$rps_nginx" 'BEGIN { printf "levee/nginx requests/s: %.2fx (goal >= 1.0x)\n", a / b }'
awk -v a="$lat_levee" -v b="$lat_nginx" 'BEGIN { printf "levee/nginx p99 latency: %.2fx (lower is better)\n", a / b }'
if [ -n "${rps_py_levee:-}" ]; then
	awk -v a="$rps_py_levee" -v b="$rps_nginx" 'BEGIN { printf "python levee/nginx requests/s: %.2fx\n", a / b }'
fi

# memory per idle keep-alive connection
port=$((20000 + RANDOM % 20000))
luajit bench/http/server_levee.lua "$port" "$n" >"$tmp/mem" 2>&1 &
pid=$!
for _ in $(seq 200); do grep -q ready "$tmp/mem" && break; sleep 0.05; done
"$keepalive" "$port" "$n" 5 >/dev/null &
wait "$pid" || true
grep "idle keep-alive" "$tmp/mem"
wait

port=$((20000 + RANDOM % 20000))
pid=$(start nginx "$port")
worker=$(pgrep -P "$pid" | head -1)
rss() { awk '{ print $2 * 4096 }' "/proc/$1/statm"; }
before=$(rss "$worker")
"$keepalive" "$port" "$n" 5 >"$tmp/ka" &
for _ in $(seq 600); do grep -q idle "$tmp/ka" && break; sleep 0.05; done
sleep 0.5
after=$(rss "$worker")
awk -v a="$after" -v b="$before" -v n="$n" 'BEGIN { printf "nginx: %d idle keep-alive connections: %.0f bytes of RSS each\n", n, (a - b) / n }'
wait %?keepalive 2>/dev/null || true
stop "$pid"
