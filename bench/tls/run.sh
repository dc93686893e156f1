#!/usr/bin/env bash
# TLS figures (issue 12), each beside nginx-light (one worker) with the same
# certificate, measured in the same run with alternating servers:
#   1. full handshakes/s (TLS 1.3 on both: nginx 1.22 answers TLS 1.2
#      unless told otherwise; no resumption) under bench/tls/tlsgen
#      with CONNS connections in flight, and the server's CPU time per
#      handshake (the capacity figure, less sensitive to a loaded machine);
#      median of RUNS;
#   2. bulk MB/s of one HTTPS download of MIB MiB with curl; median of RUNS;
#   3. resident memory per idle TLS connection with N connections open.
# The certificate is RSA 2048 (TLS_KEY=ec: ECDSA P-256), made here and
# thrown away after.
#   bench/tls/run.sh TLSGEN [RUNS=5] [SECS=5] [MIB=512] [N=2000] [CONNS=8]
set -eu
cd "$(dirname "$0")/../.."
tlsgen=$1 runs=${2:-5} secs=${3:-5} mib=${4:-512} n=${5:-2000} conns=${6:-8}
eval "$(make --no-print-directory -s env)"
ulimit -n 20000
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
trap 'exit 1' TERM  # start() ends the run when a server does not start

case ${TLS_KEY:-rsa} in
	ec) keyopts=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) keyname="ECDSA P-256";;
	*) keyopts=(-newkey rsa:2048) keyname="RSA 2048";;
esac
openssl req -x509 "${keyopts[@]}" -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 \
	-subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
mkdir -p "$tmp/www"
head -c "${mib}M" /dev/zero >"$tmp/www/bulk"

nginx_conf() { # port -> config file path
	mkdir -p "$tmp/nginx"
	cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes 1;
master_process off;
daemon off;
error_log $tmp/nginx/error.log;
pid $tmp/nginx/nginx.pid;
events { worker_connections 20000; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx; proxy_temp_path $tmp/nginx;
  fastcgi_temp_path $tmp/nginx; uwsgi_temp_path $tmp/nginx; scgi_temp_path $tmp/nginx;
  server {
    listen 127.0.0.1:$1 ssl backlog=4096;
    ssl_certificate $tmp/cert.pem;
    ssl_certificate_key $tmp/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    root $tmp/www;
  }
}
CONF
	echo "$tmp/nginx/nginx.conf"
}

start() { # server port mode [arg] -> pid; waits until the port accepts
	case $1 in
		nginx) nginx -c "$(nginx_conf "$2")" -p "$tmp/nginx" >/dev/null 2>&1 & ;;
		levee) luajit bench/tls/server_levee.lua "$2" "$tmp/cert.pem" "$tmp/key.pem" "$3" ${4:-} \
			>"$tmp/out" 2>&1 & ;;
	esac
	local pid=$!
	for _ in $(seq 200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && break
		sleep 0.05
	done
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "bench-tls: the $1 server on port $2 did not start:" >&2
		cat "$tmp/out" "$tmp/nginx/error.log" 2>/dev/null >&2
		kill "$$"
	fi
	echo "$pid"
}

stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null || true; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# a port nothing listens on, below the kernel's ephemeral range (32768 and
# up: the load generator's own connections): a port some other process
# already served made a run measure that process, or fail without a word
port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }  # clock ticks
hz=$(getconf CLK_TCK)
declare -A hs us mbs
for _ in $(seq "$runs"); do
	for s in nginx levee; do
		p=$(port)
		pid=$(start "$s" "$p" handshake)
		c0=$(cpu "$pid")
		out=$("$tlsgen" "$p" handshakes "$secs" "$conns")
		c1=$(cpu "$pid")
		hs[$s]+="$(awk '{ print $2 }' <<<"$out") "
		us[$s]+="$(awk -v c="$((c1 - c0))" -v hz="$hz" '{ gsub(/\(/, "", $3); printf "%.0f", c / hz * 1e6 / $3 }' <<<"$out") "
		stop "$pid"
		p=$(port)
		pid=$(start "$s" "$p" bulk "$mib")
		mbs[$s]+="$(curl -sk --tlsv1.3 -o /dev/null -w '%{speed_download}' "https://127.0.0.1:$p/bulk" |
			awk '{ printf "%.0f", $1 / 1e6 }') "
		stop "$pid"
	done
done

printf 'TLS 1.3, %s, same certificate; median of %d alternating runs; load %s\n' "$keyname" "$runs" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-6s %13s %16s %8s   %s\n' server "handshakes/s" "server CPU us/hs" "MB/s" "runs (handshakes/s; us/hs; MB/s)"
for s in nginx levee; do
	eval "hs_$s=$(median <<<"${hs[$s]}") us_$s=$(median <<<"${us[$s]}") mb_$s=$(median <<<"${mbs[$s]}")"
	eval "printf '  %-6s %13s %16s %8s   %s; %s; %s\n' $s \$hs_$s \$us_$s \$mb_$s \"${hs[$s]% }\" \"${us[$s]% }\" \"${mbs[$s]% }\""
done
awk -v a="$hs_levee" -v b="$hs_nginx" 'BEGIN { printf "levee/nginx handshakes/s: %.2fx (goal >= 1.0x)\n", a / b }'
awk -v a="$us_nginx" -v b="$us_levee" 'BEGIN { printf "levee/nginx handshakes per server CPU second: %.2fx\n", a / b }'
awk -v a="$mb_levee" -v b="$mb_nginx" 'BEGIN { printf "levee/nginx bulk MB/s: %.2fx (goal >= 0.9x)\n", a / b }'

# memory per idle TLS connection (the server prints its own figure)
p=$(port)
pid=$(start levee "$p" idle "$n")
"$tlsgen" "$p" idle "$n" 60 >"$tmp/idle" &
gen=$!
for _ in $(seq 1200); do grep -q "idle TLS" "$tmp/out" && break; sleep 0.05; done
grep "idle TLS" "$tmp/out" || { echo "levee idle: no figure"; cat "$tmp/out"; }
stop "$gen"
stop "$pid"

p=$(port)
pid=$(start nginx "$p")
rss() { awk '{ print $2 * 4096 }' "/proc/$1/statm"; }
before=$(rss "$pid")
"$tlsgen" "$p" idle "$n" 30 >"$tmp/idle" &
gen=$!
for _ in $(seq 1200); do grep -q idle "$tmp/idle" && break; sleep 0.05; done
sleep 0.5
after=$(rss "$pid")
awk -v a="$after" -v b="$before" -v n="$n" 'BEGIN { printf "nginx: %d idle TLS connections: %.0f bytes of RSS each\n", n, (a - b) / n }'
stop "$gen"
stop "$pid"
