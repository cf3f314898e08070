#!/usr/bin/env bash
# Throughput and connection-rate benchmark: Turnout's fake-IP path against the direct path, in the
# same sandbox and the same run, over IPv4 and over IPv6. Each figure is the median of ROUNDS
# alternating rounds.
#
#   sudo bench/run.sh            (ROUNDS=3 SECONDS_PER_TEST=5 WARMUP_ROUNDS=3 by default)
#   JAR=/tmp/old.jar sudo bench/run.sh   (another build, e.g. to compare before and after)
#   FAST_PATH=false sudo bench/run.sh     (every segment through the TUN: tun.fast-path off)
#   LOG_LEVEL=warning sudo bench/run.sh  (Turnout logs at info by default, as users run it)
#
# Direct:  client ns ── veth ──► 203.0.113.10 (iperf3 -s, nginx)
# Turnout: client ns ── fake IP ──► turnout0 ──► NAT ──► relay ── veth ──► the same servers
# IPv6:    the same with [2001:db8:113::10] and fake IPv6 addresses (AAAA-only names, so both legs
#          are IPv6: bulk6.example.test for iperf3, v6.example.test for wrk)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/bench/lib.sh"
programs="turnout nginx wrk iperf3"
rounds=${ROUNDS:-3}
tests=${TESTS:-"tp cps tp6 cps6 lat udp"} # tp: iperf3 throughput, cps: new connections per
  # second; tp6, cps6: the same over IPv6; lat: latency of keep-alive requests (wrk, one
  # connection, p50 and p99); udp: UDP throughput (iperf3 -u, 1400-byte datagrams, as fast as the
  # sender can: what arrives counts)
secs=${SECONDS_PER_TEST:-5}
bench_sandbox tntb
many_ports "$client" "$net"
ip netns exec "$net" iperf3 -s -B 203.0.113.10 -D --pidfile "$dir/iperf3.pid"
ip netns exec "$net" iperf3 -s -B 2001:db8:113::10 -p 5202 -D --pidfile "$dir/iperf3-6.pid"

cat > "$dir/config.yaml" <<CONF
log-level: ${LOG_LEVEL:-info}
dns:
  fake-ip-range: 198.18.0.0/15
  nameserver: [203.0.113.1]
  ipv6: true
tun:
  device: turnout0
${FAST_PATH:+  fast-path: $FAST_PATH}
rules:
  - MATCH,DIRECT
CONF
start_turnout "$dir/config.yaml"

iperf() { # TARGET [IPERF3 OPTIONS...] -> Gbit/s
  ip netns exec "$client" iperf3 -c "$@" -t "$secs" -J 2>/dev/null \
    | python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))'
}
udp() { # TARGET -> Gbit/s received
  ip netns exec "$client" iperf3 -u -c "$1" -l 1400 -b 0 -t "$secs" -J 2>/dev/null \
    | python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))'
}
latency() { # URL NAME: one keep-alive connection, one request at a time; appends p50 and p99
  # (microseconds) to $dir/lat50-NAME and $dir/lat99-NAME
  ip netns exec "$client" wrk -t1 -c1 -d"${secs}s" --latency "$1" 2>/dev/null | awk \
    -v f50="$dir/lat50-$2" -v f99="$dir/lat99-$2" '
    $1 == "50%" || $1 == "99%" { v = $2; f = 1
      if (v ~ /us$/) f = 1; else if (v ~ /ms$/) f = 1000; else if (v ~ /s$/) f = 1000000
      sub(/[a-z]+$/, "", v); printf "%.1f\n", v * f >> ($1 == "50%" ? f50 : f99) }'
}
conns() { # URL -> requests/s with a new connection per request
  ip netns exec "$client" wrk -t2 -c64 -d"${secs}s" -H 'Connection: close' "$1" 2>/dev/null \
    | awk '/Requests\/sec/ {printf "%.0f\n", $2}'
}

# wrk takes the first address a name resolves to: a fake IPv6 address, not the name, makes the IPv6
# row IPv6 all the way (Turnout answers A for every faked name, and the resolver may prefer it).
fake6=$(ip netns exec "$client" dig +short AAAA @198.18.0.1 v6.example.test)

# Warm-up, not counted: Turnout is a long-running daemon, so what counts is its steady state once
# the JIT has compiled each path (on 2 busy cores that takes tens of seconds of traffic).
for w in $(seq 1 "${WARMUP_ROUNDS:-3}"); do
  echo "warming up $w..." >&2
  ip netns exec "$client" iperf3 -4 -c bulk.example.test -t "$secs" >/dev/null 2>&1 || true
  ip netns exec "$client" wrk -t2 -c64 -d"${secs}s" -H 'Connection: close' \
    http://www.example.test/index.html >/dev/null 2>&1 || true
  if [[ " $tests " == *" udp "* ]]; then
    ip netns exec "$client" iperf3 -u -c bulk.example.test -l 1400 -b 0 -t "$secs" >/dev/null 2>&1 || true
  fi
  if [[ " $tests " == *" tp6 "* || " $tests " == *" cps6 "* ]]; then
    ip netns exec "$client" iperf3 -6 -c bulk6.example.test -p 5202 -t "$secs" >/dev/null 2>&1 || true
    ip netns exec "$client" wrk -t2 -c64 -d"${secs}s" -H 'Connection: close' \
      "http://[$fake6]/index.html" >/dev/null 2>&1 || true
  fi
done

for f in tp cps tp6 cps6 lat50 lat99 udp; do : > "$dir/$f-direct"; : > "$dir/$f-turnout"; done
: > "$dir/cpu"
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds..." >&2
  if [[ " $tests " == *" tp "* ]]; then
    measured "throughput, direct" "$dir/tp-direct" iperf 203.0.113.10
    measured "throughput, turnout" "$dir/tp-turnout" iperf bulk.example.test -4
  fi
  if [[ " $tests " == *" cps "* ]]; then
    measured "new connections, direct" "$dir/cps-direct" conns http://203.0.113.10/index.html
    measured "new connections, turnout" "$dir/cps-turnout" conns http://www.example.test/index.html
  fi
  if [[ " $tests " == *" tp6 "* ]]; then
    measured "IPv6 throughput, direct" "$dir/tp6-direct" iperf 2001:db8:113::10 -6 -p 5202
    measured "IPv6 throughput, turnout" "$dir/tp6-turnout" iperf bulk6.example.test -6 -p 5202
  fi
  if [[ " $tests " == *" cps6 "* ]]; then
    measured "IPv6 new connections, direct" "$dir/cps6-direct" conns "http://[2001:db8:113::10]/index.html"
    measured "IPv6 new connections, turnout" "$dir/cps6-turnout" conns "http://[$fake6]/index.html"
  fi
  if [[ " $tests " == *" lat "* ]]; then
    latency http://203.0.113.10/index.html direct
    latency http://www.example.test/index.html turnout
  fi
  if [[ " $tests " == *" udp "* ]]; then
    measured "UDP throughput, direct" "$dir/udp-direct" udp 203.0.113.10
    measured "UDP throughput, turnout" "$dir/udp-turnout" udp bulk.example.test
  fi
done

row() { # LABEL UNIT BASELINE_FILE TURNOUT_FILE
  local base tun
  base=$(median < "$3"); tun=$(median < "$4")
  printf '%-34s %12s %12s %8s\n' "$1 ($2)" "$base" "$tun" \
    "$(python3 -c "print('%.2f' % ($tun / $base))" 2>/dev/null || echo n/a)"
}
echo
echo "Turnout benchmark: median of $rounds rounds, ${secs}s each ($(nproc) cores, $(uname -r))," \
  "tun.fast-path: ${FAST_PATH:-default}"
printf '%-34s %12s %12s %8s\n' "figure" "direct" "turnout" "ratio"
[ -s "$dir/tp-direct" ] && row "TCP single stream, iperf3" "Gbit/s" "$dir/tp-direct" "$dir/tp-turnout"
[ -s "$dir/cps-direct" ] && row "new connections, wrk Connection: close" "req/s" "$dir/cps-direct" "$dir/cps-turnout"
[ -s "$dir/tp6-direct" ] && row "IPv6 TCP single stream, iperf3 -6" "Gbit/s" "$dir/tp6-direct" "$dir/tp6-turnout"
[ -s "$dir/cps6-direct" ] && row "IPv6 new connections, wrk" "req/s" "$dir/cps6-direct" "$dir/cps6-turnout"
[ -s "$dir/udp-direct" ] && row "UDP, iperf3 -u -l 1400, received" "Gbit/s" "$dir/udp-direct" "$dir/udp-turnout"
if [ -s "$dir/lat50-direct" ]; then
  for p in 50 99; do
    base=$(median < "$dir/lat$p-direct"); tun=$(median < "$dir/lat$p-turnout")
    printf '%-34s %12s %12s %8s\n' "keep-alive latency p$p (us)" "$base" "$tun" \
      "$(python3 -c "print('%+.0f' % ($tun - $base))")us"
  done
fi
echo
echo "CPU per program in the last round (% of one core; $(nproc) cores in all):"
sed 's/^/  /' "$dir/cpu"
grep -E "ERROR|WARN" "$dir/turnout.log" | sort | uniq -c | sort -rn | head -5 || true
