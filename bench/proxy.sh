#!/usr/bin/env bash
# Requests per second through Turnout's local HTTP proxy (mixed-port, absolute-URI requests), beside
# the same requests made directly and through the TUN (fake IP), in the same sandbox and run. Each
# figure is the median of ROUNDS alternating rounds.
#
#   sudo bench/proxy.sh          (ROUNDS=3 SECONDS_PER_TEST=5 WARMUP_ROUNDS=2 by default)
#
# keep-alive: wrk -c64 reusing its connections, 1 KiB responses (the proxy keeps one upstream per
#             client connection); new connections: Connection: close, so each request is a new
#             client connection, route and dial.
# Direct:  client ns ── veth ──► nginx 203.0.113.10
# Proxy:   client ns ── 127.0.0.1:7890 ── Turnout ── veth ──► the same nginx
# TUN:     client ns ── fake IP ──► turnout0 ──► relay ── veth ──► the same nginx
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/bench/lib.sh"
programs="turnout nginx wrk"
rounds=${ROUNDS:-3}
secs=${SECONDS_PER_TEST:-5}
bench_sandbox tntx
many_ports "$client"

cat > "$dir/config.yaml" <<CONF
log-level: ${LOG_LEVEL:-info}
mixed-port: 7890
dns:
  fake-ip-range: 198.18.0.0/15
  nameserver: [203.0.113.1]
tun:
  device: turnout0
rules:
  - MATCH,DIRECT
CONF
start_turnout "$dir/config.yaml"
# wrk connects to the proxy and asks it for the absolute URI.
cat > "$dir/proxy.lua" <<'LUA'
wrk.path = "http://www.example.test/1k.bin"
wrk.headers["Host"] = "www.example.test"
LUA

rps() { # [wrk options...] URL -> requests/s
  ip netns exec "$client" wrk -t2 -c64 -d"${secs}s" "$@" 2>/dev/null \
    | awk '/Requests\/sec/ {printf "%.0f\n", $2}'
}
for w in $(seq 1 "${WARMUP_ROUNDS:-2}"); do
  echo "warming up $w..." >&2
  rps -s "$dir/proxy.lua" http://127.0.0.1:7890/ > /dev/null
  rps -s "$dir/proxy.lua" -H 'Connection: close' http://127.0.0.1:7890/ > /dev/null
  rps http://www.example.test/1k.bin > /dev/null
done

for f in ka-direct ka-proxy ka-tun nc-direct nc-proxy nc-tun cpu; do : > "$dir/$f"; done
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds..." >&2
  measured "keep-alive, direct" "$dir/ka-direct" rps http://203.0.113.10/1k.bin
  measured "keep-alive, HTTP proxy" "$dir/ka-proxy" rps -s "$dir/proxy.lua" http://127.0.0.1:7890/
  measured "keep-alive, TUN" "$dir/ka-tun" rps http://www.example.test/1k.bin
  measured "new connections, direct" "$dir/nc-direct" rps -H 'Connection: close' http://203.0.113.10/1k.bin
  measured "new connections, HTTP proxy" "$dir/nc-proxy" \
    rps -s "$dir/proxy.lua" -H 'Connection: close' http://127.0.0.1:7890/
  measured "new connections, TUN" "$dir/nc-tun" rps -H 'Connection: close' http://www.example.test/1k.bin
done

row() { # LABEL DIRECT PROXY TUN
  local d p t
  d=$(median < "$2"); p=$(median < "$3"); t=$(median < "$4")
  printf '%-32s %10s %10s %8s %10s %8s\n' "$1" "$d" "$p" \
    "$(python3 -c "print('%.2f' % ($p / $d))")" "$t" "$(python3 -c "print('%.2f' % ($t / $d))")"
}
echo
echo "Turnout HTTP proxy benchmark: requests/s, median of $rounds rounds, ${secs}s each" \
  "($(nproc) cores, $(uname -r))"
printf '%-32s %10s %10s %8s %10s %8s\n' "figure" "direct" "proxy" "ratio" "tun" "ratio"
row "keep-alive, 1 KiB" "$dir/ka-direct" "$dir/ka-proxy" "$dir/ka-tun"
row "new connection per request" "$dir/nc-direct" "$dir/nc-proxy" "$dir/nc-tun"
echo
echo "CPU per program in the last round (% of one core; $(nproc) cores in all):"
sed 's/^/  /' "$dir/cpu"
grep -E "ERROR|WARN" "$dir/turnout.log" | sort | uniq -c | sort -rn | head -5 || true
