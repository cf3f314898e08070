# Shared by the benchmark scripts; sourced, not run. They set: dir (scratch directory), secs
# (seconds per test), rounds, r (current round), turnout_pid, programs (names to account CPU to).

# CPU ticks used so far by each long-lived program of the path (all its processes and threads,
# plus children it has reaped: dante forks), to show where a run's time went: "name=ticks ...".
# Clients that exit during a test (wrk, the iperf3 client) are not counted.
cpu_snapshot() {
  for prog in $programs; do
    local ticks=0 pids
    if [ "$prog" = turnout ]; then pids=$turnout_pid; else pids=$(pgrep -x "$prog" 2>/dev/null || true); fi
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
