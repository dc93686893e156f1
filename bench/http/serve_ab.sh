#!/usr/bin/env bash
# A/B of the LuaJIT hello-world server (bench/http/server_levee.lua) beside
# nginx-light: nginx, the server of another tree (A: its bindings and
# library) and of this one (B), in rounds whose order alternates, each
# under `wrk -t1 -c50 -d${SECS}s --latency`; medians of requests/s, p99 and
# the server's CPU per request (utime + stime from /proc, split into user
# and system time). Build A first (`make -C A`); run it under
# `flock /work/bench.lock` on a shared machine.
#   bench/http/serve_ab.sh A_TREE [ROUNDS=7] [SECS=6]
set -eu
trap 'echo "serve_ab.sh: failed at line $LINENO" >&2' ERR
B=$(cd "$(dirname "$0")/../.." && pwd)
A=$(cd "$1" && pwd)
rounds=${2:-7} secs=${3:-6}
cd "$B"
tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
. bench/servers.sh
hz=$(getconf CLK_TCK)
p99_us() { awk '$1 == "99%" { v = $2; u = 1;
	if (v ~ /us$/) u = 1; else if (v ~ /ms$/) u = 1000; else if (v ~ /s$/) u = 1000000;
	gsub(/[a-z]+$/, "", v); printf "%d\n", v * u }'; }
per_request() { awk -v a="$1" -v b="$2" -v r="$3" -v s="$secs" -v hz="$hz" \
	'BEGIN { printf "%.2f", (b - a) * 1e6 / hz / (r * s) }'; }
declare -A rps lat cpu usr sys
run() { # nginx | A | B
	local port=$((20000 + RANDOM % 20000)) w
	case $1 in
		nginx) nginx -c "$(nginx_conf "$port")" -p "$tmp/nginx" >/dev/null 2>&1 & ;;
		A|B) local tree=$A; [ "$1" = B ] && tree=$B
			(cd "$tree" && eval "$(make --no-print-directory -s env)" &&
				exec luajit bench/http/server_levee.lua "$port") >/dev/null 2>&1 & ;;
	esac
	pid=$!
	wait_http "$port"
	w=$pid
	[ "$1" = nginx ] && w=$(pgrep -P "$pid" | head -1)
	read -r u0 s0 < <(awk '{ print $14, $15 }' "/proc/$w/stat")
	local out; out=$(wrk -t1 -c50 -d"${secs}s" --latency "http://127.0.0.1:$port/" 2>&1 || true)
	read -r u1 s1 < <(awk '{ print $14, $15 }' "/proc/$w/stat")
	stop "$pid"
	pid=""
	local r; r=$(awk '/^Requests\/sec/ { printf "%d", $2 }' <<<"$out")
	[ -n "$r" ] || { echo "$1: no requests/s from wrk"; return; }
	rps[$1]+="$r "
	lat[$1]+="$(p99_us <<<"$out") "
	cpu[$1]+="$(per_request $((u0 + s0)) $((u1 + s1)) "$r") "
	usr[$1]+="$(per_request "$u0" "$u1" "$r") "
	sys[$1]+="$(per_request "$s0" "$s1" "$r") "
}
for i in $(seq "$rounds"); do
	if [ $((i % 2)) = 1 ]; then order="nginx A B"; else order="B A nginx"; fi
	for s in $order; do run "$s"; done
done
printf 'wrk -t1 -c50 -d%ss; medians of %d rounds; load %s\nA = %s, B = %s\n' \
	"$secs" "$rounds" "$(cut -d' ' -f1-3 /proc/loadavg)" "$A" "$B"
printf '  %-6s %10s %9s %9s %7s %7s   %s\n' server requests/s "p99 (us)" "CPU (us)" user sys "CPU per round"
for s in nginx A B; do
	printf '  %-6s %10s %9s %9s %7s %7s   %s\n' "$s" "$(median <<<"${rps[$s]}")" "$(median <<<"${lat[$s]}")" \
		"$(median <<<"${cpu[$s]}")" "$(median <<<"${usr[$s]}")" "$(median <<<"${sys[$s]}")" "${cpu[$s]% }"
done
