# Shell helpers for the benchmarks that put levee's HTTP server beside
# nginx-light under wrk (sourced by bench/http/serve.sh and
# bench/proc/http.sh; they set $tmp to a scratch directory first).

# nginx_conf PORT [WORKERS=1] -> the path of a config answering "Hello World\n"
# (several workers get a listener each: reuseport, as levee's threads do)
nginx_conf() {
	local reuse=""
	[ "${2:-1}" -gt 1 ] && reuse=" reuseport"
	mkdir -p "$tmp/nginx"
	cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes ${2:-1};
daemon off;
error_log $tmp/nginx/error.log;
pid $tmp/nginx/nginx.pid;
events { worker_connections 20000; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $tmp/nginx; proxy_temp_path $tmp/nginx;
  fastcgi_temp_path $tmp/nginx; uwsgi_temp_path $tmp/nginx; scgi_temp_path $tmp/nginx;
  server {
    listen 127.0.0.1:$1 backlog=4096$reuse;
    location / { default_type text/plain; return 200 "Hello World\n"; }
  }
}
CONF
	echo "$tmp/nginx/nginx.conf"
}

# wait_http PORT: until the port answers (10 s at most)
wait_http() {
	for _ in $(seq 200); do
		curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
		sleep 0.05
	done
}

# stop PID: TERM and reap
stop() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null || true; }

# median of the numbers on stdin (separated by spaces or lines)
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
