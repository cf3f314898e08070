# Shared by the benchmark scripts; sourced, not run. They set: dir (scratch directory), secs
# (seconds per test), rounds, r (current round), turnout_pid, programs (names to account CPU to).
# A script may define bench_pids NAME to find a program's processes itself (two programs with one
# process name, say): it prints their pids and succeeds, or fails to leave NAME to pgrep -x.

# CPU ticks used so far by each long-lived program of the path (all its processes and threads,
# plus children it has reaped: dante forks), to show where a run's time went: "name=ticks ...".
# Clients that exit during a test (wrk, the iperf3 client) are not counted.
cpu_snapshot() {
  for prog in $programs; do
    local ticks=0 pids
    if [ "$prog" = turnout ]; then pids=$turnout_pid
    elif declare -F bench_pids > /dev/null && pids=$(bench_pids "$prog"); then :
    else pids=$(pgrep -x "$prog" 2>/dev/null || true); fi
    for pid in $pids; do
      ticks=$((ticks + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    printf '%s=%s ' "$prog" "$ticks"
  done
  echo
}
cpu_delta() { # BEFORE AFTER -> per-program CPU % of one core over SECONDS_PER_TEST
  python3 - "$1" "$2" "$secs" "$(getconf CLK_TCK)" <<'PY'
import sys
a = dict(x.split("=") for x in sys.argv[1].split())
b = dict(x.split("=") for x in sys.argv[2].split())
secs, hz = float(sys.argv[3]), float(sys.argv[4])
print("  ".join("%s %.0f%%" % (k, (int(b[k]) - int(a[k])) / hz / secs * 100)
                for k in b if int(b[k]) - int(a[k]) > 0))
PY
}
measured() { # LABEL FILE COMMAND... : runs the command, appends its figure, and in the last round
  local label=$1 file=$2; shift 2   # also records the CPU split
  local before after
  before=$(cpu_snapshot)
  "$@" >> "$file"
  after=$(cpu_snapshot)
  [ "$r" = "$rounds" ] && echo "$label: $(cpu_delta "$before" "$after")" >> "$dir/cpu"
  return 0
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# bench_sandbox TAG: this run's own hosts (sandbox/sandbox.sh up). Sets name, dir (scratch), client
# and net (the namespaces), jar (JAR, else the launcher's, built if missing); on exit, ^C or
# SIGTERM it calls bench_cleanup_more if the script defines it, stops Turnout, takes the hosts
# down and removes dir, whatever state the run ended in.
bench_sandbox() {
  name="$1$$"
  dir=$(mktemp -d "/tmp/turnout-bench-$1.XXXXXX")
  client="$name-c"
  net="$name-n"
  turnout_pid=""
  # ^C and SIGTERM exit (through the EXIT trap, so cleanup runs once) instead of going on with the
  # script against hosts the cleanup has just removed.
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  jar=${JAR:-$here/launcher/target/turnout.jar}
  [ -f "$jar" ] || (cd "$here" && mvn -B -q -DskipTests package)
  "$here/sandbox/sandbox.sh" up "$name" "$dir"
}
bench_cleanup() {
  if declare -F bench_cleanup_more > /dev/null; then bench_cleanup_more || true; fi
  stop_turnout
  "$here/sandbox/sandbox.sh" down "$name" "$dir" || true
  rm -rf "$dir"
}
# many_ports NAMESPACE...: the whole port range and TIME_WAIT reuse, for clients that open tens of
# thousands of connections in a few seconds.
many_ports() {
  for ns in "$@"; do
    ip netns exec "$ns" sysctl -q -w net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
  done
}
# start_turnout CONFIG [JVM OPTION...]: Turnout in the client namespace with the JVM options
# ./turnout uses (and TURNOUT_JAVA_OPTS), log in $dir/turnout.log; returns once it is ready.
start_turnout() {
  local config=$1; shift
  ip netns exec "$client" java ${TURNOUT_JAVA_OPTS:-} "$@" -XX:+UseParallelGC -Xss512k \
    -jar "$jar" run -c "$config" > "$dir/turnout.log" 2>&1 &
  turnout_pid=$!
  for _ in $(seq 1 150); do
    grep -q "Turnout ready" "$dir/turnout.log" 2> /dev/null && return 0
    kill -0 "$turnout_pid" 2> /dev/null || break
    sleep 0.2
  done
  echo "Turnout did not start:" >&2; cat "$dir/turnout.log" >&2; exit 1
}
stop_turnout() {
  if [ -n "$turnout_pid" ]; then
    kill "$turnout_pid" 2> /dev/null && wait "$turnout_pid" 2> /dev/null || true
  fi
  turnout_pid=""
}
