#!/usr/bin/env bash
# Hello-world keep-alive requests/s under wrk: levee's HTTP server on 2 OS
# threads (one hub and one SO_REUSEPORT listener each,
# bench/proc/server_threads.lua) beside nginx-light with 2 worker
# processes, then 1 thread beside 1 worker; alternating runs, medians, the
# ratio to nginx of each pair from the same run.
#   bench/proc/http.sh [RUNS=3] [SECS=10]
set -eu
cd "$(dirname "$0")/../.."
runs=${1:-3} secs=${2:-10}
eval "$(make --no-print-directory -s env)"
ulimit -n 20000
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

. bench/servers.sh

start() { # server port workers -> pid; waits until the port answers
	case $1 in
		nginx) nginx -c "$(nginx_conf "$2" "$3")" -p "$tmp/nginx" >/dev/null 2>&1 & ;;
		levee) luajit bench/proc/server_threads.lua "$2" "$3" >"$tmp/out" 2>&1 & ;;
	esac
	local pid=$!
	wait_http "$2"
	echo "$pid"
}

declare -A rps
for _ in $(seq "$runs"); do
	for w in 2 1; do
		for s in nginx levee; do
			port=$((20000 + RANDOM % 20000))
			pid=$(start "$s" "$port" "$w")
			out=$(wrk -t2 -c64 -d"${secs}s" "http://127.0.0.1:$port/" 2>&1 || true)
			stop "$pid"
			rps[$s$w]+="$(awk '/^Requests\/sec/ { printf "%d", $2 }' <<<"$out") "
		done
	done
done

printf 'wrk -t2 -c64 -d%ss, hello world, keep-alive; median of %d alternating runs\n' "$secs" "$runs"
printf '  %-26s %12s %12s %8s   %s\n' "" "levee" "nginx" "ratio" "runs levee | nginx"
for w in 2 1; do
	l=$(median <<<"${rps[levee$w]}") n=$(median <<<"${rps[nginx$w]}")
	label="$w thread(s) / $w worker(s)"
	printf '  %-26s %12s %12s %7.2fx   %s| %s\n' "$label" "$l" "$n" "$(awk -v a="$l" -v b="$n" 'BEGIN{print a/b}')" \
		"${rps[levee$w]}" "${rps[nginx$w]}"
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
