#!/usr/bin/env bash
# Runs every fuzz and property test with 1,000,000 inputs each (CI runs a seeded slice of each).
#
#   bench/fuzz.sh [ITERATIONS [SEED]]
#
# ITERATIONS defaults to 1000000; SEED replays another seed than each test's own. A failure names
# the seed and the input's number. Takes a while: minutes per test, on one core at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-1000000}
seed=${2:-}
args=(-B test "-Dtest=*FuzzTest" -Dsurefire.failIfNoSpecifiedTests=false
  "-Dturnout.fuzz.iterations=$iterations")
if [ -n "$seed" ]; then
  args+=("-Dturnout.fuzz.seed=$seed")
fi
exec mvn "${args[@]}"
