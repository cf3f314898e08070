#!/usr/bin/env bash
# The rules rows of the benchmarks, each figure beside its baseline from the same run:
#
#   bench/rules.sh              # both rows (~7 min)
#   bench/rules.sh decide       # decision p99: 100k domains + 10k CIDRs, beside the 100-rule set
#   bench/rules.sh load         # loading 280k domains + 18k CIDRs from provider lists, beside
#                               # the same JVM loading an empty config (MATCH only)
#   bench/rules.sh jmh [ARGS]   # the JMH benchmarks themselves, ARGS passed through, e.g.
#                               #   bench/rules.sh jmh 'decide$' -bm sample -p kind=CIDR
#
# ROUNDS (default 7) is the number of rounds each median is taken over, after warm-up:
# - decide: RulesBenchmark.decideTimed times every decision itself; each 1 s measurement iteration
#   is one round (after 3 warm-up iterations), p99 its 99th percentile, in FORKS JVMs per size
#   (default 3; the median is over all their rounds). The large set's p99 differs more between
#   JVMs than between the rounds of one: its decisions touch more memory than the small set's,
#   about as much as a core's own cache holds, and how much of it stays cached depends on where
#   that JVM's memory landed (one fork per size gave ratios from 1.79 to 2.06 for one build).
# - load: RulesLoad in a fresh JVM per round (as ./turnout runs it), the lists and the empty config
#   alternating, after one discarded round of each: the build's wall time and the resident memory
#   after it (VmRSS) and at its peak (VmHWM), and what the build allocated.
# The machine is shared: the load average is printed at the start and the end; compare ratios
# within one run. `mvn verify` never runs this: src/jmh is compiled only with -Pjmh.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/bench/lib.sh"
rounds=${ROUNDS:-7}
forks=${FORKS:-3}
what=${1:-all}
cd "$root"
mvn -B -q -pl rules -am -Pjmh -DskipTests -Dspotless.check.skip=true test-compile
cd rules
cp="target/test-classes:target/classes:$(cat target/jmh.classpath)"
jvm=(java -XX:+UseParallelGC -Xss512k) # as ./turnout runs the JVM
if [ "$what" = jmh ]; then
  shift
  pattern=RulesBenchmark
  if [[ $# -gt 0 && $1 != -* ]]; then
    pattern="RulesBenchmark\\.$1"
    shift
  fi
  exec java -cp "$cp" org.openjdk.jmh.Main "$pattern" "$@"
fi
dir="$(mktemp -d /tmp/turnout-rulesbench.XXXXXX)"
trap 'rm -rf "$dir"' EXIT
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

field() { # NAME FILE: the median of NAME=N over the lines of FILE
  grep -o "$1=[0-9]*" "$2" | cut -d= -f2 | median
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

if [ "$what" = all ] || [ "$what" = decide ]; then
  # JMH keeps its lock file (jmh.lock) in java.io.tmpdir and never removes it: here, in $dir.
  java -Djava.io.tmpdir="$dir" -cp "$cp" org.openjdk.jmh.Main 'RulesBenchmark.decideTimed' \
    -f "$forks" -wi 3 -i "$rounds" \
    -p size=small,large >"$dir/jmh" 2>&1 || { cat "$dir/jmh"; exit 1; }
  for size in small large; do
    grep "^decideRound size=$size " "$dir/jmh" | sed 's/.*: //' |
      awk '{print "p50=" $2, "p90=" $4, "p99=" $6, "p999=" $8}' >"$dir/$size"
  done
  small=$(field p99 "$dir/small")
  large=$(field p99 "$dir/large")
  echo
  echo "rule decision, median of $(wc -l <"$dir/large") rounds in $forks JVMs (ns):"
  printf '  %-34s p50 %5s  p99 %5s\n' "100k domains + 10k CIDRs:" \
    "$(field p50 "$dir/large")" "$large"
  printf '  %-34s p50 %5s  p99 %5s\n' "100-rule set (baseline):" \
    "$(field p50 "$dir/small")" "$small"
  echo "  p99 ratio large/small: $(ratio "$large" "$small")"
  grep '^decideTimed ' "$dir/jmh" | sed 's/^/  whole fork: /'
fi

if [ "$what" = all ] || [ "$what" = load ]; then
  lists="$dir/lists"
  java -cp "$cp" dev.turnout.rules.RulesLoad generate "$lists"
  for r in $(seq 0 "$rounds"); do
    for mode in empty load; do
      line=$("${jvm[@]}" -cp "$cp" dev.turnout.rules.RulesLoad "$mode" "$lists" 2>/dev/null |
        grep '^build_ms=')
      [ "$r" -gt 0 ] && echo "$line" >>"$dir/$mode"
    done
  done
  echo
  echo "rule set load, median of $rounds rounds, each a new JVM:"
  for mode in load empty; do
    label="280k domains + 18k CIDRs (5 lists):"
    [ "$mode" = empty ] && label="empty config (baseline):"
    printf '  %-36s %6s ms  RSS %4s MB  peak %4s MB  allocated %4s MB\n' "$label" \
      "$(field build_ms "$dir/$mode")" "$(($(field rss_kb "$dir/$mode") / 1024))" \
      "$(($(field hwm_kb "$dir/$mode") / 1024))" "$(($(field alloc_kb "$dir/$mode") / 1024))"
  done
  echo "  lists minus empty: $(($(field build_ms "$dir/load") - $(field build_ms "$dir/empty"))) ms," \
    "$((($(field rss_kb "$dir/load") - $(field rss_kb "$dir/empty")) / 1024)) MB RSS"
  sed -n 's/.*# /  compiled: /p' "$dir/load" | head -1
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
