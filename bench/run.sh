#!/usr/bin/env bash
# Throughput and connection-rate benchmark: Turnout's fake-IP path against the direct path, in the
# same sandbox and the same run, over IPv4 and over IPv6. Each figure is the median of ROUNDS
# alternating rounds.
#
#   sudo bench/run.sh            (ROUNDS=3 SECONDS_PER_TEST=5 WARMUP_ROUNDS=3 by default)
#   JAR=/tmp/old.jar sudo bench/run.sh   (another build, e.g. to compare before and after)
#   FAST_PATH=false sudo bench/run.sh     (every segment through the TUN: tun.fast-path off)
#   DIRECT_NAT=false sudo bench/run.sh    (every DIRECT flow relayed: tun.direct-nat off. On, the
#                                          default, its nftables table turns connection tracking on
#                                          for the client namespace, so the direct rows pay for it)
#   LOG_LEVEL=warning sudo bench/run.sh  (Turnout logs at info by default, as users run it)
#
# Direct:  client ns ── veth ──► 203.0.113.10 (iperf3 -s, nginx)
# Turnout: client ns ── fake IP ──► turnout0 ──► NAT ──► relay ── veth ──► the same servers
# IPv6:    the same with [2001:db8:113::10] and fake IPv6 addresses (AAAA-only names, so both legs
#          are IPv6: bulk6.example.test for iperf3, v6.example.test for wrk)
# Relay:   client ns ── 203.0.113.10, nftables redirect ──► nginx stream (127.0.0.1:10080) ── veth
#          ──► the same nginx: what a relay in C that terminates TCP reaches on this path; and the
#          same relay with wrk dialing 127.0.0.1:10080 itself, without the redirect's connection
#          tracking and NAT (cpsrelay; needs Debian's libnginx-mod-stream and nftables)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/bench/lib.sh"
rounds=${ROUNDS:-3}
tests=${TESTS:-"tp cps cpsrelay tp6 cps6 lat udp"} # tp: iperf3 throughput, cps: new connections
  # per second; cpsrelay: the same through nginx's stream relay, a baseline for cps; tp6, cps6: tp
  # and cps over IPv6; lat: latency of keep-alive requests (wrk, one connection, p50 and p99); udp:
  # UDP throughput (iperf3 -u, 1400-byte datagrams, as fast as the sender can: what arrives counts)
secs=${SECONDS_PER_TEST:-5}
direct_nat=${DIRECT_NAT:-default} # tun.direct-nat in the config below when set

# cpsrelay: the ceiling of any relay that terminates TCP here (two kernel handshakes per connection
# instead of one, on the cores wrk and nginx use too). nginx's stream module (C, epoll, one worker)
# in the client namespace is that relay: an nftables redirect hands it wrk's connections to
# 203.0.113.10:80, so wrk does exactly what it does in the direct row, and it dials the server
# itself. Its worker runs as www-data, which the redirect leaves alone, so its own dial goes out.
stream_module=/usr/lib/nginx/modules/ngx_stream_module.so
relay_port=10080
relay_table=turnout_bench_relay
if [[ " $tests " == *" cpsrelay "* ]] && { [ ! -f "$stream_module" ] || ! command -v nft > /dev/null; }; then
  echo "cpsrelay needs nginx's stream module ($stream_module) and nft:" \
    "apt-get install libnginx-mod-stream nftables, or leave cpsrelay out of TESTS" >&2
  exit 2
fi
relay_start() {
  mkdir -p "$dir/relay"
  cat > "$dir/relay/nginx.conf" <<CONF
load_module $stream_module;
worker_processes 1;
user www-data;
pid $dir/relay/nginx.pid;
error_log $dir/relay/error.log;
events { worker_connections 4096; }
stream {
  server { listen 127.0.0.1:$relay_port backlog=4096; proxy_pass 203.0.113.10:80; }
}
CONF
  ip netns exec "$client" nginx -c "$dir/relay/nginx.conf" -p "$dir/relay" -e "$dir/relay/error.log"
}
relay_stop() {
  local pid
  pid=$(cat "${dir:-}/relay/nginx.pid" 2> /dev/null) || return 0
  kill "$pid" 2> /dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2> /dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2> /dev/null || true
}
# The redirect exists only while the relay row is measured: a nat hook turns connection tracking on
# for the whole namespace, which would cost the direct and Turnout rows too. The relay pays it.
relay_on() {
  ip netns exec "$client" nft -f - <<NFT
table ip $relay_table {
  chain output {
    type nat hook output priority -100; policy accept;
    ip daddr 203.0.113.10 tcp dport 80 meta skuid != $(id -u www-data) counter redirect to :$relay_port
  }
}
NFT
}
relay_off() { # deletes the redirect; $dir/redirected: how many connections it took
  ip netns exec "$client" nft list table ip "$relay_table" \
    | awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }' \
    > "$dir/redirected"
  ip netns exec "$client" nft delete table ip "$relay_table"
  if ! [ "$(cat "$dir/redirected")" -gt 0 ] 2> /dev/null; then
    echo "the redirect to the nginx stream relay took no connections" >&2; exit 1
  fi
}
bench_cleanup_more() {
  ip netns exec "$client" nft delete table ip "$relay_table" 2> /dev/null || true
  relay_stop
}
# CPU: the web server (internet namespace) apart from the relay (client namespace), both "nginx".
ns_pids() { # NAMESPACE NAME: the pids of the processes called NAME in that network namespace
  local pid
  for pid in $(ip netns pids "$1" 2> /dev/null); do
    [ "$(cat "/proc/$pid/comm" 2> /dev/null)" = "$2" ] && echo "$pid"
  done
  return 0
}
bench_pids() {
  case $1 in
    nginx) ns_pids "$net" nginx ;;
    nginx-relay) ns_pids "$client" nginx ;;
    *) return 1 ;;
  esac
}
programs="turnout nginx nginx-relay wrk iperf3"

bench_sandbox tntb
many_ports "$client" "$net"
# tun.direct-nat (on unless DIRECT_NAT=false) moves forwarded flows' ports off the client's
# ephemeral range, which needs room beside it: the default range, which wrk's direct rows and the
# relays' dials share (the server closes first, so none of them holds a port in TIME_WAIT).
if [ "$direct_nat" != false ]; then
  ip netns exec "$client" sysctl -q -w net.ipv4.ip_local_port_range="32768 60999"
fi
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
${DIRECT_NAT:+  direct-nat: $DIRECT_NAT}
rules:
  - MATCH,DIRECT
CONF

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

for f in tp cps tp6 cps6 lat50 lat99 udp; do : > "$dir/$f-direct"; : > "$dir/$f-turnout"; done
: > "$dir/cps-relay"; : > "$dir/cps-relaylo"
: > "$dir/cpu"
# Latency is measured on a settled machine: after a test that opened tens of thousands of
# connections, the kernel and Turnout free them for some seconds (TIME_WAIT, the NAT's 5 s grace,
# the fast path's map), which would land on whichever latency row came next.
settle() { sleep "${SETTLE_SECONDS:-12}"; }
# The direct path's rounds (IPv4; the IPv6 ones are measured with Turnout's, below).
direct_round() {
  if [[ " $tests " == *" tp "* ]]; then
    measured "throughput, direct" "$dir/tp-direct" iperf 203.0.113.10
  fi
  if [[ " $tests " == *" cps "* || " $tests " == *" cpsrelay "* ]]; then
    measured "new connections, direct" "$dir/cps-direct" conns http://203.0.113.10/index.html
  fi
  if [[ " $tests " == *" lat "* ]]; then
    settle
    latency http://203.0.113.10/index.html direct
  fi
  if [[ " $tests " == *" udp "* ]]; then
    measured "UDP throughput, direct" "$dir/udp-direct" udp 203.0.113.10
  fi
}
start_turnout "$dir/config.yaml"
[[ " $tests " == *" cpsrelay "* ]] && relay_start

# wrk and iperf3 take the first address a name resolves to, and glibc's default order puts IPv6
# first, Turnout's fake fdfe:: addresses included: each row dials the fake address of its family
# itself, so that an IPv4 row is IPv4 all the way (before this, the IPv4 rows that named a host
# went over IPv6 through Turnout) and the IPv6 row IPv6 all the way.
fake6=$(ip netns exec "$client" dig +short AAAA @198.18.0.1 v6.example.test)
www4=$(ip netns exec "$client" dig +short A @198.18.0.1 www.example.test)
bulk4=$(ip netns exec "$client" dig +short A @198.18.0.1 bulk.example.test)

# Warm-up, not counted: Turnout is a long-running daemon, so what counts is its steady state once
# the JIT has compiled each path (on 2 busy cores that takes tens of seconds of traffic).
for w in $(seq 1 "${WARMUP_ROUNDS:-3}"); do
  echo "warming up $w..." >&2
  ip netns exec "$client" iperf3 -4 -c "$bulk4" -t "$secs" >/dev/null 2>&1 || true
  ip netns exec "$client" wrk -t2 -c64 -d"${secs}s" -H 'Connection: close' \
    "http://$www4/index.html" >/dev/null 2>&1 || true
  if [[ " $tests " == *" udp "* ]]; then
    ip netns exec "$client" iperf3 -u -c "$bulk4" -l 1400 -b 0 -t "$secs" >/dev/null 2>&1 || true
  fi
  if [[ " $tests " == *" tp6 "* || " $tests " == *" cps6 "* ]]; then
    ip netns exec "$client" iperf3 -6 -c bulk6.example.test -p 5202 -t "$secs" >/dev/null 2>&1 || true
    ip netns exec "$client" wrk -t2 -c64 -d"${secs}s" -H 'Connection: close' \
      "http://[$fake6]/index.html" >/dev/null 2>&1 || true
  fi
done

for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds..." >&2
  direct_round
  if [[ " $tests " == *" tp "* ]]; then
    measured "throughput, turnout" "$dir/tp-turnout" iperf "$bulk4"
  fi
  if [[ " $tests " == *" cps "* ]]; then
    measured "new connections, turnout" "$dir/cps-turnout" conns "http://$www4/index.html"
  fi
  if [[ " $tests " == *" cpsrelay "* ]]; then
    relay_on
    measured "new connections, nginx stream relay" "$dir/cps-relay" conns http://203.0.113.10/index.html
    relay_off
    # The same relay without the redirect (wrk dials its listener): what the connection tracking
    # and NAT that the redirect needs cost the row above.
    measured "new connections, nginx stream relay, no redirect" "$dir/cps-relaylo" conns \
      "http://127.0.0.1:$relay_port/index.html"
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
    settle
    latency "http://$www4/index.html" turnout
  fi
  if [[ " $tests " == *" udp "* ]]; then
    measured "UDP throughput, turnout" "$dir/udp-turnout" udp "$bulk4"
  fi
done

# The rounds column: the lowest and highest ratio of one round's pair (round i's baseline against
# round i's Turnout), so that a median can be read against how much the rounds moved.
row() { # LABEL UNIT BASELINE_FILE TURNOUT_FILE
  local base tun
  base=$(median < "$3"); tun=$(median < "$4")
  printf '%-34s %12s %12s %8s %11s\n' "$1 ($2)" "$base" "$tun" \
    "$(python3 -c "print('%.2f' % ($tun / $base))" 2>/dev/null || echo n/a)" \
    "$(python3 - "$3" "$4" <<'PY' 2>/dev/null || echo n/a
import sys
pairs = zip(*(map(float, open(f).read().split()) for f in sys.argv[1:3]))
ratios = [t / b for b, t in pairs if b > 0]
print('%.2f-%.2f' % (min(ratios), max(ratios)))
PY
)"
}
echo
echo "Turnout benchmark: median of $rounds rounds, ${secs}s each ($(nproc) cores, $(uname -r))," \
  "tun.fast-path: ${FAST_PATH:-default}, tun.direct-nat: ${DIRECT_NAT:-default}"
printf '%-34s %12s %12s %8s %11s\n' "figure" "direct" "turnout" "ratio" "rounds"
[ -s "$dir/tp-direct" ] && row "TCP single stream, iperf3" "Gbit/s" "$dir/tp-direct" "$dir/tp-turnout"
[ -s "$dir/cps-turnout" ] && row "new connections, wrk Connection: close" "req/s" "$dir/cps-direct" "$dir/cps-turnout"
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
if [ -s "$dir/cps-relay" ]; then
  echo
  # The redirect's count shows that wrk's connections really went through the relay.
  echo "Baseline, new connections through a relay in C on the same path: nginx stream, one worker,"
  echo "reached by an nftables redirect (last round: $(cat "$dir/redirected") connections redirected;" \
    "wrk: $(tail -1 "$dir/cps-relay") req/s x ${secs}s = $(( $(tail -1 "$dir/cps-relay") * secs )));"
  echo "no redirect: wrk dials the relay's listener 127.0.0.1:$relay_port itself"
  printf '%-34s %12s %12s %8s %11s\n' "figure" "direct" "relay" "ratio" "rounds"
  row "nginx stream relay" "req/s" "$dir/cps-direct" "$dir/cps-relay"
  row "relay, no redirect" "req/s" "$dir/cps-direct" "$dir/cps-relaylo"
  if [ -s "$dir/cps-turnout" ]; then
    for f in relay:"turnout / relay" relaylo:"turnout / relay, no redirect"; do
      printf '%-34s %12s %12s %8s\n' "${f#*:}" "" "" \
        "$(python3 -c "print('%.2f' % ($(median < "$dir/cps-turnout") / $(median < "$dir/cps-${f%%:*}")))")"
    done
  fi
fi
echo
echo "CPU per program in the last round (% of one core; $(nproc) cores in all):"
sed 's/^/  /' "$dir/cpu"
# A SYN that lands on a port the server holds in TIME_WAIT, with timestamps from another clock (a
# masqueraded flow on a port the host's own connections used, or the other way round), is
# answered with an ACK and waits a second for its retransmit: none is the norm.
paws=$(ip netns exec "$net" awk '$1 == "TcpExt:" { if (!n++) split($0, k); else for (i in k)
  if (k[i] == "PAWSTimewait") print $i }' /proc/net/netstat)
echo "server: $paws" \
  "SYNs answered with an ACK on a TIME_WAIT port (TcpExtPAWSTimewait; each costs a connection 1 s)"
grep -E "ERROR|WARN" "$dir/turnout.log" | sort | uniq -c | sort -rn | head -5 || true
# The relay logs failed dials and the like at error level.
if [ -s "$dir/relay/error.log" ]; then tail -5 "$dir/relay/error.log" | sed 's/^/nginx stream relay: /'; fi
