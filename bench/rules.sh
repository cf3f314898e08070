#!/usr/bin/env bash
# Runs the rules JMH benchmarks (src/jmh/java). Usage, from anywhere:
#   bench/rules.sh                      # full run (~6 min): decide ns/op + p99, load time
#   bench/rules.sh -wi 2 -i 3 -r 1s     # shorter; any JMH option is passed through
# `mvn verify` never runs these: src/jmh is compiled only with -Pjmh.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mvn -B -q -pl rules -Pjmh -DskipTests -Dspotless.check.skip=true test-compile
cd rules
exec java -cp "target/test-classes:target/classes:$(cat target/jmh.classpath)" \
  org.openjdk.jmh.Main RulesBenchmark "$@"
