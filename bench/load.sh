#!/usr/bin/env bash
# The full "load, nothing lost" run of issue 14, outside CI: LoadIT with 10,000 concurrent
# connections, each held open for about 60 s by a rate-limited download (half DIRECT, half through
# dante in a fallback group; every stream's bytes checked with SHA-256; 1,000 UDP datagrams beside
# them), then the same with dante killed mid-run and restarted. CI runs the same test with 300
# connections for 10 s.
#
#   sudo bench/load.sh [CONNECTIONS [SECONDS]]
#   LOAD_JVM="..." sudo bench/load.sh 4000
#                   (JVM options for Turnout after LoadIT's own: a later option wins). By default
#                   Netty's sampling leak detector instead of CI's paranoid one, which records a
#                   stack trace for every buffer: with thousands of connections Turnout then spends
#                   so long in the detector and the collector that name lookups time out.
#
# Needs root and about 3 GB free under /tmp (a download is kept until it has been hashed). Builds
# the launcher (the reactor, no install) and runs only LoadIT; the report is the test's result.
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-10000}
seconds=${2:-60}
# Turnout, curl and the test inherit this. Turnout holds four descriptors per spliced connection
# (two sockets and the splice relay's duplicates of them) and a pipe (two more) per direction only
# while bytes are under way: 10,000 connections want about 45,000. Where the hard limit is lower
# (20,000 on the machine this was written on), run fewer: 4,000 fit.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((connections * 9 / 2)) ]; then
  echo "load.sh: open files limited to $(ulimit -n); $connections connections need about" \
    "$((connections * 9 / 2)) (raise the hard limit, e.g. ulimit -Hn in a root shell)" >&2
fi
exec mvn -B verify -pl launcher -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=LoadIT -Dfailsafe.failIfNoSpecifiedTests=false \
  "-Dturnout.load.connections=$connections" "-Dturnout.load.seconds=$seconds" \
  "-Dturnout.load.jvm=${LOAD_JVM:--Dio.netty.leakDetection.level=simple}"
