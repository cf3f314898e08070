#!/usr/bin/env bash
# Runs the rules JMH benchmarks (rules/src/jmh/java). Usage, from anywhere:
#   bench/rules.sh                      # full run (~8 min): decide ns/op + percentiles, load time
#   bench/rules.sh -wi 2 -i 3 -r 1s     # shorter; any JMH option is passed through
#   bench/rules.sh -e cursor            # without the harness-only baseline
#   bench/rules.sh -p kind=CIDR         # one kind of connection (DOMAIN, KEYWORD, CIDR, ...)
#   bench/rules.sh decideTimed          # one benchmark method (a regex) first, then JMH options
#   bench/rules.sh 'decide$' -bm sample # a regex, so anchor it to leave decideTimed out
# decideTimed times every decision itself and prints each fork's percentiles. Quote those: on a
# small VM the sample mode's p0.99 is the machine's more than the code's (compare fixedWork, a
# fixed ~130 ns computation, in both; see RulesBenchmark).
# Defaults: 2 forks, 3 x 1 s warmup, 5 x 1 s measurement. On a shared machine compare before and
# after in the same period and quote medians.
# `mvn verify` never runs these: src/jmh is compiled only with -Pjmh.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mvn -B -q -pl rules -Pjmh -DskipTests -Dspotless.check.skip=true test-compile
cd rules
pattern=RulesBenchmark
if [[ $# -gt 0 && $1 != -* ]]; then
  pattern="RulesBenchmark\\.$1"
  shift
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
java -cp "target/test-classes:target/classes:$(cat target/jmh.classpath)" \
  org.openjdk.jmh.Main "$pattern" "$@" | tee "$log"
# decideTimed prints its percentiles at the end of each fork, inside JMH's output; gather them.
if grep -q '^decideTimed ' "$log"; then
  echo
  echo "Per-decision timing (decideTimed), one line per fork:"
  grep '^decideTimed ' "$log"
fi
