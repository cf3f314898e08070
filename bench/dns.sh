#!/usr/bin/env bash
# DNS benchmark: dnsperf against Turnout's fake-IP answers and against dnsmasq answering the same
# names, in the same run, with the same dnsperf settings. Each figure is the median of ROUNDS
# alternating rounds; the script prints both, the ratio, and the lost queries. Because the servers
# and dnsperf share the machine's cores, it also prints each server's CPU time per answered query
# (user + system, from /proc), which other load on the machine changes far less than q/s, and
# dnsperf's own, which shares the same cores.
#
#   sudo bench/dns.sh            (ROUNDS=5 SECONDS_PER_TEST=10 CLIENTS=4 OUTSTANDING=200)
#   JAR=/path/to/turnout.jar sudo bench/dns.sh
#
# Both servers listen on 127.0.0.1 inside a private network namespace (no other host is reachable
# from it). dnsmasq answers *.bench.test from --address; Turnout (tun disabled) answers the same
# names with fake IPs and never asks its upstream (that same dnsmasq) for them. Any answer other than
# NOERROR is reported.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jar=${JAR:-$here/launcher/target/turnout.jar}
rounds=${ROUNDS:-5}
secs=${SECONDS_PER_TEST:-10}
clients=${CLIENTS:-4}
outstanding=${OUTSTANDING:-200}
# Turnout maps at most 2000 new names per client in a burst (50 a second after that; AllocationQuota)
# and answers SERVFAIL beyond it: more names would measure refusals, not fake-IP answers. The warm-up
# maps every name; the rounds then measure answers for known names, as a browsing client sees them.
names=${NAMES:-1000}
ns="tntdns$$"
dir=$(mktemp -d /tmp/turnout-dnsbench.XXXXXX)
turnout_pid=""

cleanup() {
  [ -n "$turnout_pid" ] && kill "$turnout_pid" 2>/dev/null && wait "$turnout_pid" 2>/dev/null || true
  if ip netns list | grep -qw "$ns"; then
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -n "$pids" ] && kill $pids 2>/dev/null || true
    sleep 0.3
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

[ -f "$jar" ] || { echo "no $jar; build: mvn -pl launcher -am package -DskipTests" >&2; exit 2; }
for tool in dnsperf dnsmasq dig; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 2; }
done

ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
in_ns() { ip netns exec "$ns" "$@"; }

for i in $(seq 1 "$names"); do echo "host$i.bench.test A"; done > "$dir/queries.txt"

in_ns dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --no-poll --user=root \
  --listen-address=127.0.0.1 --bind-interfaces --port=5300 --pid-file="$dir/dnsmasq.pid" \
  --address=/bench.test/192.0.2.1 --cache-size=10000 --dns-forward-max=10000

cat > "$dir/turnout.yaml" <<CONF
log-level: ${LOG_LEVEL:-info}
dns:
  enable: true
  listen: 127.0.0.1:5301
  fake-ip-range: 198.18.0.0/15
  nameserver: [127.0.0.1:5300]
tun:
  enable: false
rules:
  - MATCH,DIRECT
CONF
ip netns exec "$ns" java -jar "$jar" run -c "$dir/turnout.yaml" > "$dir/turnout.log" 2>&1 &
turnout_pid=$! # ip netns exec execs java: this is its pid
for _ in $(seq 1 100); do
  in_ns dig +time=1 +tries=1 +short -p 5301 @127.0.0.1 warmup.bench.test 2>/dev/null \
    | grep -q '^198\.18\.' && break
  sleep 0.2
done
in_ns dig +time=1 +tries=1 +short -p 5301 @127.0.0.1 check.bench.test | grep -q '^198\.18\.' \
  || { echo "Turnout did not answer:"; cat "$dir/turnout.log"; exit 1; }

cpu_ticks() { # pid -> utime + stime of all its threads, in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}
hz=$(getconf CLK_TCK)
children_cpu() { # file written by `times` -> seconds of CPU of the shell's finished children
  awk 'NR == 2 {
    for (i = 1; i <= 2; i++) { sub(/s$/, "", $i); split($i, p, "m"); s += p[1] * 60 + p[2] }
    printf "%.3f", s }' "$1"
}

# port seconds pid -> "qps lost server-cpu-us-per-query dnsperf-cpu-us-per-query"
run_dnsperf() {
  local out before after client_before client_after
  before=$(cpu_ticks "$3")
  local times="$dir/times.$BASHPID"
  times > "$times" # a builtin, run by this shell: its children's CPU so far
  client_before=$(children_cpu "$times")
  out=$(in_ns dnsperf -s 127.0.0.1 -p "$1" -d "$dir/queries.txt" -l "$2" -c "$clients" \
    -q "$outstanding" -t 2 2>&1)
  times > "$times"
  client_after=$(children_cpu "$times")
  after=$(cpu_ticks "$3")
  local qps lost done
  qps=$(awk '/Queries per second:/ {print $4}' <<<"$out")
  lost=$(awk '/Queries lost:/ {print $3}' <<<"$out")
  done=$(awk '/Queries completed:/ {print $3}' <<<"$out")
  codes=$(awk -F': *' '/Response codes:/ {print $2}' <<<"$out")
  [[ "$codes" == "NOERROR "*"(100.00%)" ]] || echo "port $1 answered: $codes" >&2
  echo "${qps:-0} ${lost:-?} $(awk -v t=$((after - before)) -v hz="$hz" -v n="${done:-0}" \
    'BEGIN { printf "%.2f", (n > 0 ? t / hz * 1e6 / n : 0) }')" \
    "$(awk -v a="$client_before" -v b="$client_after" -v n="${done:-0}" \
      'BEGIN { printf "%.2f", (n > 0 ? (b - a) * 1e6 / n : 0) }')"
}
dnsmasq_pid=$(cat "$dir/dnsmasq.pid")

echo "warm-up (JIT, caches): 5 s each"
run_dnsperf 5301 5 "$turnout_pid" >/dev/null
run_dnsperf 5300 5 "$dnsmasq_pid" >/dev/null

t_qps=(); d_qps=(); t_cpu=(); d_cpu=(); t_lost=0; d_lost=0
for r in $(seq 1 "$rounds"); do
  echo "round $r load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  read -r q l c p < <(run_dnsperf 5301 "$secs" "$turnout_pid")
  t_qps+=("$q"); t_cpu+=("$c"); t_lost=$((t_lost + l))
  echo "round $r turnout: $q q/s, lost $l, $c us CPU/query (dnsperf: $p us CPU/query)"
  read -r q l c p < <(run_dnsperf 5300 "$secs" "$dnsmasq_pid")
  d_qps+=("$q"); d_cpu+=("$c"); d_lost=$((d_lost + l))
  echo "round $r dnsmasq: $q q/s, lost $l, $c us CPU/query (dnsperf: $p us CPU/query)"
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
tm=$(median "${t_qps[@]}")
dm=$(median "${d_qps[@]}")
ratio=$(awk -v t="$tm" -v d="$dm" 'BEGIN { printf "%.2f", (d > 0 ? t / d : 0) }')
tc=$(median "${t_cpu[@]}")
dc=$(median "${d_cpu[@]}")
echo
echo "dnsperf -c $clients -q $outstanding -l $secs, $names names, $rounds rounds (median):"
line='%12.0f q/s   lost %s   %6.2f us CPU/query\n'
printf "  turnout (fake-IP answers): $line" "$tm" "$t_lost" "$tc"
printf "  dnsmasq (same names):      $line" "$dm" "$d_lost" "$dc"
echo "  ratio turnout/dnsmasq: ${ratio}x (CPU per query: $(awk -v t="$tc" -v d="$dc" \
  'BEGIN { printf "%.2f", (d > 0 ? t / d : 0) }')x dnsmasq's)"
echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
