#!/usr/bin/env bash
# Idle connections (issue 4): N idle connections held by the load generator
# (a separate process: the hard fd limit is 20000) against the levee
# server, in both buffer modes; prints the RSS per connection.
#   bench/net/idle.sh LOADGEN [N=10000]
set -eu
cd "$(dirname "$0")/../.."
loadgen=$1 n=${2:-10000}
eval "$(make --no-print-directory -s env)"
ulimit -n 20000
for mode in eager lazy; do
	port=$((20000 + RANDOM % 20000)) out=$(mktemp)
	luajit bench/net/idle_levee.lua "$port" "$n" "$mode" >"$out" 2>&1 &
	pid=$!
	for _ in $(seq 100); do grep -q ready "$out" && break; sleep 0.05; done
	"$loadgen" "$port" "$n" 8 0 >/dev/null &
	wait "$pid" || true
	grep idle "$out"
	wait
	rm -f "$out"
done
