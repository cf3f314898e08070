#!/usr/bin/env bash
# Runs the rules JMH benchmarks (rules/src/jmh/java). Usage, from anywhere:
#   bench/rules.sh                      # full run (~8 min): decide ns/op + percentiles, load time
#   bench/rules.sh -wi 2 -i 3 -r 1s     # shorter; any JMH option is passed through
#   bench/rules.sh -e cursor            # without the harness-only baseline
#   bench/rules.sh -p kind=CIDR         # one kind of connection (DOMAIN, KEYWORD, CIDR, ...)
# Defaults: 2 forks, 3 x 1 s warmup, 5 x 1 s measurement. On a shared machine compare before and
# after in the same period and quote medians (p0.50) and p0.99 of the sample mode.
# `mvn verify` never runs these: src/jmh is compiled only with -Pjmh.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mvn -B -q -pl rules -Pjmh -DskipTests -Dspotless.check.skip=true test-compile
cd rules
exec java -cp "target/test-classes:target/classes:$(cat target/jmh.classpath)" \
  org.openjdk.jmh.Main RulesBenchmark "$@"
