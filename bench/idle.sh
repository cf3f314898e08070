#!/usr/bin/env bash
# Memory per idle relayed connection (issue 20): how much Turnout's resident memory and live heap
# grow while it holds N idle TCP connections, each of which has carried a few bytes each way (so
# the relay has set it up completely: spliced, fast path installed). The median over ROUNDS
# rounds, each a fresh Turnout started as ./turnout starts it, at log-level info.
#
#   sudo bench/idle.sh           (N=4000 ROUNDS=5 by default)
#   JAR=/path/to/turnout.jar sudo bench/idle.sh
#   DETAIL=1 sudo bench/idle.sh  (also prints, for the last round, the heap's class histogram and
#                                 where native memory grew while N are held)
#
# Each round: start Turnout; hold and release N connections (pools, threads, the JIT and the heap's
# young generation settle);
# full GC; measure; hold N; full GC; measure again. Per connection = difference / N:
#   heap   - the Java heap in use after a full GC (jcmd GC.heap_info): what the held connections
#            keep alive;
#   native - memory outside the heap by the JVM's Native Memory Tracking (on for this benchmark):
#            direct buffers, threads, GC structures and other native allocations, without the
#            JIT's and class loading's own (they grow while the JIT compiles, not per connection);
#   RSS    - VmRSS of the process, for reference: it also grows by heap pages the young
#            generation touches while the connections open, which is garbage, not held memory.
# The kernel's socket buffers are in none of them; they are the same with any relay.
# The figure beside it is the same difference for the client holding the same connections
# (Python asyncio, one socket each): what one socket costs a plain user-space program.
# N is bounded by Turnout's open-files limit: a spliced connection holds four descriptors (its two
# sockets, and the splice relay's duplicates of them; a pipe only while bytes are under way), so
# 4,000 connections take 16,000 (the hard limit on the machine this was written on is 20,000;
# systemd services and Docker containers usually get 524,288 or more).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/bench/lib.sh"
n=${N:-4000}
rounds=${ROUNDS:-5}
holder_pid=""
server_pid=""
release() {
  [ -n "$holder_pid" ] && kill "$holder_pid" 2>/dev/null && wait "$holder_pid" 2>/dev/null || true
  holder_pid=""
}
bench_cleanup_more() {
  release
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
}
bench_sandbox tnti
many_ports "$client"

# The server: accepts, answers the first byte, then holds the connection until the client closes.
cat > "$dir/server.py" <<'PY'
import asyncio
async def serve(reader, writer):
    data = await reader.read(1)
    if data:
        writer.write(data)
        await writer.drain()
        await reader.read(1)  # end of input: the client let go
    writer.close()
async def main():
    server = await asyncio.start_server(serve, "203.0.113.10", 7000, backlog=4096)
    async with server:
        await server.serve_forever()
asyncio.run(main())
PY
# The client: opens N connections (200 at a time), one byte each way, then holds them all.
cat > "$dir/holder.py" <<'PY'
import asyncio, resource, sys
n = int(sys.argv[1])
def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
async def one(gate, held):
    async with gate:
        reader, writer = await asyncio.open_connection("www.example.test", 7000)
        writer.write(b"x")
        await writer.drain()
        if await reader.readexactly(1) != b"x":
            raise SystemExit("bad echo")
        held.append(writer)
async def main():
    before = rss_kib()
    gate, held = asyncio.Semaphore(200), []
    await asyncio.gather(*(one(gate, held) for _ in range(n)))
    print("held %d client-rss-kib %d" % (len(held), rss_kib() - before), flush=True)
    await asyncio.sleep(3600)
asyncio.run(main())
PY
ip netns exec "$net" python3 "$dir/server.py" > "$dir/server.log" 2>&1 &
server_pid=$!

cat > "$dir/config.yaml" <<CONF
log-level: ${LOG_LEVEL:-info}
dns:
  fake-ip-range: 198.18.0.0/15
  nameserver: [203.0.113.1]
tun:
  device: turnout0
  direct-nat: false # what a relayed connection holds: the kernel would forward these otherwise
rules:
  - MATCH,DIRECT
CONF

hold() { # COUNT -> the client's own RSS growth, KiB; the connections stay held until release
  ip netns exec "$client" python3 "$dir/holder.py" "$1" > "$dir/holder.out" 2>&1 &
  holder_pid=$!
  for _ in $(seq 1 600); do
    grep -q '^held' "$dir/holder.out" && { awk '{print $4}' "$dir/holder.out"; return 0; }
    kill -0 "$holder_pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "the client could not hold $1 connections:" >&2; cat "$dir/holder.out" >&2
  echo "Turnout's last lines:" >&2; tail -20 "$dir/turnout.log" >&2; exit 1
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$turnout_pid/status"; }
native_growth_kib() { # NMT summary.diff on stdin -> committed growth outside the heap, KiB,
  # without the JIT's and class loading's own memory (compiler arenas, code cache, metaspace):
  # that grows while the JIT compiles, whether connections are held or not
  awk '/^-/ && /committed=[0-9]+KB [+-][0-9]+KB/ {
         if ($0 ~ /(Java Heap|Arena Chunk|Code|Compiler|Class|Metaspace|Symbol|Native Memory) \(/) next
         match($0, /committed=[0-9]+KB [+-][0-9]+KB/)
         split(substr($0, RSTART, RLENGTH), c, " "); sum += c[2] + 0 }
       END { print sum + 0 }'
}
heap_kib() { # after a full GC
  jcmd "$turnout_pid" GC.run > /dev/null
  jcmd "$turnout_pid" GC.heap_info | awk '/^ *(PSYoungGen|ParOldGen|garbage-first heap)/ {
    for (i = 1; i < NF; i++) if ($i == "used") { v = $(i + 1); sub(/K,?$/, "", v); sum += v } }
    END { print sum }'
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$dir/rss"; : > "$dir/heap"; : > "$dir/native"; : > "$dir/client"
for r in $(seq 1 "$rounds"); do
  start_turnout "$dir/config.yaml" -XX:NativeMemoryTracking=summary
  hold "$n" > /dev/null; release; sleep 2 # the same N: eden pages touched while opening count once
  heap0=$(heap_kib); rss0=$(rss_kib)
  jcmd "$turnout_pid" VM.native_memory baseline > /dev/null
  client_kib=$(hold "$n"); sleep 2
  heap1=$(heap_kib); rss1=$(rss_kib)
  jcmd "$turnout_pid" VM.native_memory summary.diff > "$dir/nmt"
  native=$(native_growth_kib < "$dir/nmt")
  if [ -n "${DETAIL:-}" ] && [ "$r" = "$rounds" ]; then
    jcmd "$turnout_pid" GC.class_histogram | head -30 >&2
    grep -E '^-' "$dir/nmt" >&2
  fi
  release; stop_turnout
  python3 -c "print('%.2f' % (($rss1 - $rss0) / $n))" >> "$dir/rss"
  python3 -c "print('%.2f' % (($heap1 - $heap0) / $n))" >> "$dir/heap"
  python3 -c "print('%.2f' % ($native / $n))" >> "$dir/native"
  python3 -c "print('%.2f' % ($client_kib / $n))" >> "$dir/client"
  echo "round $r/$rounds: heap $heap0 -> $heap1 KiB, native +$native KiB," \
    "RSS $rss0 -> $rss1 KiB, client +$client_kib KiB" >&2
done
echo
echo "Memory per idle relayed connection, $n held: median of $rounds rounds" \
  "($(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-40s %10s\n' "figure" "KiB/conn"
heap=$(median < "$dir/heap"); native=$(median < "$dir/native")
printf '%-40s %10s\n' "Turnout live heap (after full GC)" "$heap"
printf '%-40s %10s\n' "Turnout native (NMT, without the heap)" "$native"
printf '%-40s %10s\n' "Turnout heap + native" "$(python3 -c "print('%.2f' % ($heap + $native))")"
printf '%-40s %10s\n' "Turnout RSS (incl. touched young gen)" "$(median < "$dir/rss")"
printf '%-40s %10s\n' "client RSS (asyncio, one socket each)" "$(median < "$dir/client")"
grep -E "ERROR|WARN" "$dir/turnout.log" | sort | uniq -c | sort -rn | head -5 || true
