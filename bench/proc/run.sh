#!/usr/bin/env bash
# make bench-proc: channel messages/s between two OS threads (levee C, LuaJIT
# and Python beside a pipe and a mutex+condvar queue in C), and spawn+wait
# of /bin/true per second (levee C, LuaJIT and Python beside posix_spawn in
# C and Python's subprocess). Every figure comes with its reference from
# the same run.
#   bench/proc/run.sh BUILD RUNS CHAN_N SPAWN_N
set -eu
cd "$(dirname "$0")/../.."
build=$1 runs=$2 chan_n=$3 spawn_n=$4
eval "$(make --no-print-directory -s env BUILD="$build")"

echo "== channel messages/s between two OS threads"
out=$("$build/bench/proc_chan" "$runs" "$chan_n")
grep -v '^REF' <<<"$out"
pipe=$(awk '/^REF pipe/ {print $3}' <<<"$out")
condvar=$(awk '/^REF condvar/ {print $3}' <<<"$out")
lua=$(luajit bench/proc/chan.lua "$runs" "$chan_n")
py_n=$((chan_n / 10))
py=$(/usr/bin/python3 bench/proc/chan.py "$runs" "$py_n")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '  %-34s %14s msg/s   /pipe %sx  /condvar %sx\n' "LuaJIT h.thread -> main" "$lua" \
	"$(ratio "$lua" "$pipe")" "$(ratio "$lua" "$condvar")"
printf '  %-34s %14s msg/s   /pipe %sx  /condvar %sx   (%d messages)\n' "Python h.thread -> main" "$py" \
	"$(ratio "$py" "$pipe")" "$(ratio "$py" "$condvar")" "$py_n"

echo
echo "== spawn + wait of /bin/true per second"
out=$("$build/bench/proc_spawn" "$runs" "$spawn_n")
grep -v '^REF' <<<"$out"
ps=$(awk '/^REF posix_spawn/ {print $3}' <<<"$out")
lua=$(luajit bench/proc/spawn.lua "$runs" "$spawn_n")
printf '  %-34s %10s /s   /posix_spawn %sx\n' "LuaJIT h.process:spawn + done" "$lua" "$(ratio "$lua" "$ps")"
read -r pylv pysp < <(/usr/bin/python3 bench/proc/spawn.py "$runs" "$((spawn_n / 2))")
printf '  %-34s %10s /s   /posix_spawn %sx  /subprocess %sx\n' "Python h.process.spawn + wait" "$pylv" \
	"$(ratio "$pylv" "$ps")" "$(ratio "$pylv" "$pysp")"
printf '  %-34s %10s /s\n' "Python subprocess.run" "$pysp"
echo
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
