#!/usr/bin/env bash
# Turnout -> dante (SOCKS5) -> nginx/iperf3, against redsocks (iptables REDIRECT) -> the same dante,
# in the same sandbox and the same run. Each figure is the median of ROUNDS alternating rounds.
#
#   sudo bench/socks.sh          (ROUNDS=3 SECONDS_PER_TEST=5 WARMUP_ROUNDS=3 by default)
#   JAR=/tmp/old.jar sudo bench/socks.sh   (another build, e.g. to compare before and after)
#
# Turnout: client -- fake IP --> turnout0 --> relay --SOCKS5--> dante (203.0.113.1:1080) --> server
# redsocks: client -- 203.0.113.10, REDIRECT --> redsocks (127.0.0.1:12345) --SOCKS5--> dante --> server
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/bench/lib.sh"
programs="turnout redsocks danted nginx wrk iperf3"
rounds=${ROUNDS:-3}
secs=${SECONDS_PER_TEST:-5}
bench_sandbox tnts
"$here/sandbox/sandbox.sh" socks "$name" "$dir"
many_ports "$client" "$net"
ip netns exec "$net" iperf3 -s -B 203.0.113.10 -D --pidfile "$dir/iperf3.pid"
# dante logs every connection by default in sandbox.sh; keep the disk out of the measurement
sed -i 's/ log: connect//' "$dir/danted.conf"
kill "$(cat "$dir/danted.pid")"; sleep 0.5
ip netns exec "$net" danted -D -f "$dir/danted.conf" -p "$dir/danted.pid"

cat > "$dir/redsocks.conf" <<CONF
base { log_debug = off; log_info = off; log = "file:$dir/redsocks.log"; daemon = on; redirector = iptables; }
redsocks { local_ip = 127.0.0.1; local_port = 12345; ip = 203.0.113.1; port = 1080; type = socks5; }
CONF
ip netns exec "$client" redsocks -c "$dir/redsocks.conf" -p "$dir/redsocks.pid"
ip netns exec "$client" iptables -t nat -A OUTPUT -p tcp -d 203.0.113.10 -j REDIRECT --to-ports 12345

cat > "$dir/config.yaml" <<CONF
log-level: ${LOG_LEVEL:-info}
state-dir: $dir/state
dns:
  fake-ip-range: 198.18.0.0/15
  nameserver: [203.0.113.1]
tun:
  device: turnout0
proxies:
  - {name: dante, type: socks5, server: 203.0.113.1, port: 1080}
rules:
  - DOMAIN-SUFFIX,example.test,dante
  - MATCH,DIRECT
CONF
start_turnout "$dir/config.yaml"

iperf() { # TARGET -> Gbit/s
  ip netns exec "$client" iperf3 -c "$1" -t "$secs" -J 2>/dev/null \
    | python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))'
}
wrk_rps() { # URL [extra wrk args] -> requests/s
  local url=$1; shift
  ip netns exec "$client" wrk -t2 -c32 -d"${secs}s" "$@" "$url" 2>/dev/null \
    | awk '/Requests\/sec/ {printf "%.0f\n", $2}'
}

# Warm-up, not counted: Turnout is a long-running daemon, so what counts is its steady state once
# the JIT has compiled each path (on 2 busy cores that takes tens of seconds of traffic).
for w in $(seq 1 "${WARMUP_ROUNDS:-3}"); do
  echo "warming up $w..." >&2
  iperf bulk.example.test >/dev/null || true
  wrk_rps http://www.example.test/1k.bin >/dev/null || true
  wrk_rps http://www.example.test/index.html -H 'Connection: close' >/dev/null || true
done

for f in tp ka cc; do : > "$dir/$f-redsocks"; : > "$dir/$f-turnout"; done
: > "$dir/cpu"
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds..." >&2
  measured "throughput, redsocks" "$dir/tp-redsocks" iperf 203.0.113.10
  measured "throughput, turnout" "$dir/tp-turnout" iperf bulk.example.test
  measured "keep-alive, redsocks" "$dir/ka-redsocks" wrk_rps http://203.0.113.10/1k.bin
  measured "keep-alive, turnout" "$dir/ka-turnout" wrk_rps http://www.example.test/1k.bin
  measured "new connections, redsocks" "$dir/cc-redsocks" \
    wrk_rps http://203.0.113.10/index.html -H 'Connection: close'
  measured "new connections, turnout" "$dir/cc-turnout" \
    wrk_rps http://www.example.test/index.html -H 'Connection: close'

done

row() { # LABEL UNIT KEY
  local base tun
  base=$(median < "$dir/$3-redsocks"); tun=$(median < "$dir/$3-turnout")
  printf '%-40s %10s %10s %7s\n' "$1 ($2)" "$base" "$tun" \
    "$(python3 -c "print('%.2f' % ($tun / $base))" 2>/dev/null || echo n/a)"
}
echo
echo "Turnout vs redsocks, both through dante: median of $rounds rounds, ${secs}s each ($(nproc) cores)"
printf '%-40s %10s %10s %7s\n' "figure" "redsocks" "turnout" "ratio"
row "TCP single stream, iperf3" "Gbit/s" tp
row "1 KiB keep-alive requests, wrk" "req/s" ka
row "new connections, wrk Connection: close" "req/s" cc
echo
echo "CPU per program in the last round (% of one core; $(nproc) cores in all):"
sed 's/^/  /' "$dir/cpu"
grep -E "ERROR|WARN" "$dir/turnout.log" | sort | uniq -c | sort -rn | head -5 || true
