#!/usr/bin/env bash
# Server figures (HTTP issue): hello-world keep-alive requests/s, p99
# latency and server CPU per request under `wrk -t1 -c50 -d${SECS}s`
# against nginx-light (one worker), the levee LuaJIT server (h.http
# serve()), the levee Python server and uvicorn (uvloop + httptools), all
# returning the same 12-byte body; alternating runs, RUNS times; medians,
# and ratios to the reference measured in the same run (LuaJIT to nginx,
# Python to uvicorn). Then resident memory per idle keep-alive connection
# with N connections open (levee LuaJIT and nginx), and the lines of
# binding HTTP code before and after the engine.
#   bench/http/serve.sh KEEPALIVE_BIN [RUNS=5] [SECS=10] [N=10000]
set -eu
trap 'echo "serve.sh: failed at line $LINENO" >&2' ERR
cd "$(dirname "$0")/../.."
keepalive=$1 runs=${2:-5} secs=${3:-10} n=${4:-10000}
eval "$(make --no-print-directory -s env)"
ulimit -n 20000
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

. bench/servers.sh

start() { # server port [n] -> "pid worker_pid"; waits until the port answers
	case $1 in
		nginx) nginx -c "$(nginx_conf "$2")" -p "$tmp/nginx" >/dev/null 2>&1 & ;;
		levee) luajit bench/http/server_levee.lua "$2" ${3:-} >"$tmp/out" 2>&1 & ;;
		py-levee) /usr/bin/python3 bench/http/server_levee.py "$2" >"$tmp/out" 2>&1 & ;;
		uvicorn) /usr/bin/python3 bench/http/server_uvicorn.py "$2" >"$tmp/out" 2>&1 & ;;
	esac
	local pid=$!
	pids+=("$pid")
	wait_http "$2"
	local worker=$pid
	[ "$1" = nginx ] && worker=$(pgrep -P "$pid" | head -1)
	echo "$pid $worker"
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# wrk's p99 ("99%   1.52ms") in microseconds
p99_us() { awk '$1 == "99%" { v = $2; u = 1;
	if (v ~ /us$/) u = 1; else if (v ~ /ms$/) u = 1000; else if (v ~ /s$/) u = 1000000;
	gsub(/[a-z]+$/, "", v); printf "%d\n", v * u }'; }

servers="nginx levee py-levee uvicorn"
hz=$(getconf CLK_TCK)
declare -A rps lat cpu
for _ in $(seq "$runs"); do
	for s in $servers; do
		port=$((20000 + RANDOM % 20000))
		read -r pid worker < <(start "$s" "$port")
		kill -0 "$worker" 2>/dev/null || { echo "$s (port $port) exited at start:"; cat "$tmp/out"; exit 1; }
		c0=$(cpu_ticks "$worker")
		out=$(wrk -t1 -c50 -d"${secs}s" --latency "http://127.0.0.1:$port/" 2>&1 || true)
		c1=$(cpu_ticks "$worker")
		stop "$pid"
		r=$(awk '/^Requests\/sec/ { printf "%d", $2 }' <<<"$out")
		rps[$s]+="$r "
		lat[$s]+="$(p99_us <<<"$out") "
		cpu[$s]+="$(awk -v a="$c0" -v b="$c1" -v r="$r" -v s="$secs" -v hz="$hz" \
			'BEGIN { printf "%.1f", (b - a) * 1e6 / hz / (r * s) }') "
	done
done

printf 'wrk -t1 -c50 -d%ss, hello world, keep-alive; median of %d alternating runs; load %s\n' \
	"$secs" "$runs" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-9s %12s %10s %14s   %s\n' server "requests/s" "p99 (us)" "CPU us/request" "runs (requests/s)"
for s in $servers; do
	m=$(median <<<"${rps[$s]}") l=$(median <<<"${lat[$s]}") c=$(median <<<"${cpu[$s]}")
	printf '  %-9s %12s %10s %14s   %s\n' "$s" "$m" "$l" "$c" "${rps[$s]% }"
	eval "rps_${s//-/_}=$m lat_${s//-/_}=$l cpu_${s//-/_}=$c"
done
awk -v a="$rps_levee" -v b="$rps_nginx" 'BEGIN { printf "levee (LuaJIT) / nginx requests/s: %.2fx (goal >= 1.2x)\n", a / b }'
awk -v a="$lat_levee" -v b="$lat_nginx" 'BEGIN { printf "levee (LuaJIT) / nginx p99 latency: %.2fx (goal <= 1.0x)\n", a / b }'
awk -v a="$cpu_levee" -v b="$cpu_nginx" 'BEGIN { printf "levee (LuaJIT) / nginx CPU per request: %.2fx (lower is better)\n", a / b }'
awk -v a="$rps_py_levee" -v b="$rps_uvicorn" 'BEGIN { printf "levee (Python) / uvicorn requests/s: %.2fx (goal >= 1.2x)\n", a / b }'
awk -v a="$cpu_py_levee" -v b="$cpu_uvicorn" 'BEGIN { printf "levee (Python) / uvicorn CPU per request: %.2fx (lower is better)\n", a / b }'

# memory per idle keep-alive connection
port=$((20000 + RANDOM % 20000))
luajit bench/http/server_levee.lua "$port" "$n" >"$tmp/mem" 2>&1 &
pid=$!
pids+=("$pid")
for _ in $(seq 200); do grep -q ready "$tmp/mem" && break; sleep 0.05; done
"$keepalive" "$port" "$n" 5 >/dev/null &
wait "$pid" || true
grep "idle keep-alive" "$tmp/mem"
wait

port=$((20000 + RANDOM % 20000))
read -r pid worker < <(start nginx "$port")
rss() { awk '{ print $2 * 4096 }' "/proc/$1/statm"; }
before=$(rss "$worker")
"$keepalive" "$port" "$n" 5 >"$tmp/ka" &
for _ in $(seq 600); do grep -q idle "$tmp/ka" && break; sleep 0.05; done
sleep 0.5
after=$(rss "$worker")
awk -v a="$after" -v b="$before" -v n="$n" 'BEGIN { printf "nginx: %d idle keep-alive connections: %.0f bytes of RSS each\n", n, (a - b) / n }'
wait %?keepalive 2>/dev/null || true
stop "$pid"

bench/http/lines.sh
