#!/usr/bin/env bash
# Where Ordinal's time and memory go under one of bench-compare's loads (issue 18): starts the all-in-one driver with
# the JVM options BENCHMARKS.md's profile was taken with (`make run`'s before hack/run-driver.sh: -Xmx64m, serial,
# VFORK, a dynamic class-data archive; DRIVER_JAVA_OPTS replaces them) plus a JFR recording (file I/O events without threshold) and native memory tracking,
# takes NMT's summary, pmap -x and the heap's layout idle (2 s after start) and after the load, counts the driver's system calls with strace -c
# during the measured part of the load, and prints JFR's summaries of file forces, process starts and hot methods.
#
#   make build loadclient && hack/bench-profile.sh create-delete
#
# Scenario: probe | create-delete | create-publish (bench-compare's concurrency). BENCH_DURATION (default 10s),
# BENCH_WARMUP (default 3s). BENCH_JFR=no leaves JFR out (its buffers add ~18 MiB to the RSS: use it for memory). Output under /tmp/ordinal-bench-compare/profile-<UTC time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:?usage: hack/bench-profile.sh probe|create-delete|create-publish}
case $scenario in probe) concurrency=8 ;; create-delete) concurrency=4 ;; create-publish) concurrency=2 ;; *)
  echo "bench-profile: unknown scenario '$scenario'" >&2; exit 2 ;;
esac
duration=${BENCH_DURATION:-10s}
warmup=${BENCH_WARMUP:-3s}
jdk=$(hack/find-jdk.sh)
opts=${DRIVER_JAVA_OPTS:--Xmx64m -XX:+UseSerialGC -Djdk.lang.Process.launchMechanism=VFORK -XX:+AutoCreateSharedArchive -XX:SharedArchiveFile=driver/target/ordinal-driver.jsa}
base=/tmp/ordinal-bench-compare
run=$base/profile-run
out=$base/profile-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
if findmnt -rn -o TARGET | grep -qF "$run/"; then echo "bench-profile: mounts left under $run" >&2; exit 1; fi
rm -rf "$run" && mkdir -p "$run"

jfr=${BENCH_JFR:-yes}
jfr_opts=()
if [ "$jfr" = yes ]; then
  jfr_opts=("-XX:StartFlightRecording=filename=$out/driver.jfr,settings=profile,jdk.FileForce#threshold=0ms,jdk.FileWrite#threshold=0ms,jdk.FileRead#threshold=0ms")
fi
# shellcheck disable=SC2086
"$jdk/bin/java" $opts -XX:NativeMemoryTracking=summary \
  "${jfr_opts[@]}" \
  -jar driver/target/quarkus-app/quarkus-run.jar --endpoint "unix://$run/csi.sock" --disk "default=$run/disks/default" \
  --state-dir "$run/state" --node-id bench --management-port 0 > "$out/driver.log" 2>&1 &
driver=$!
cleanup() {
  kill -TERM "$driver" 2>/dev/null || true
  wait "$driver" 2>/dev/null || true
  findmnt -rn -o TARGET | { grep -F "$run/" || true; } | sort -r | while read -r t; do umount "$t" || umount -l "$t"; done
  findmnt -rn -o TARGET | grep -qF "$run/" || rm -rf "$run"
}
trap cleanup EXIT
for _ in $(seq 1 3000); do [ -S "$run/csi.sock" ] && break; sleep 0.005; done
sleep 2
"$jdk/bin/jcmd" "$driver" VM.native_memory summary > "$out/nmt-idle.txt"
grep -E '^(VmRSS|VmHWM|RssAnon|RssFile)' "/proc/$driver/status" > "$out/rss-idle.txt"
pmap -x "$driver" > "$out/pmap-idle.txt"
"$jdk/bin/jcmd" "$driver" GC.heap_info > "$out/heap-idle.txt"

"$jdk/bin/java" -XX:+UseSerialGC -jar loadclient/target/ordinal-loadclient.jar --endpoint "unix://$run/csi.sock" \
  --scenario "$scenario" --concurrency "$concurrency" --duration "$duration" --warmup "$warmup" --layout dir \
  --work-dir "$run/load" > "$out/client.log" 2>&1 &
client=$!
# strace over the measured part only (it slows the driver down: its counts are what matters, not the rate then).
sleep "${warmup%s}"
timeout -s INT 5 strace -f -c -p "$driver" -o "$out/strace.txt" 2>/dev/null || true
wait "$client" || echo "bench-profile: some calls failed, see $out/client.log" >&2
"$jdk/bin/jcmd" "$driver" VM.native_memory summary > "$out/nmt-load.txt"
grep -E '^(VmRSS|VmHWM|RssAnon|RssFile)' "/proc/$driver/status" > "$out/rss-load.txt"
pmap -x "$driver" > "$out/pmap-load.txt"
"$jdk/bin/jcmd" "$driver" GC.heap_info > "$out/heap-load.txt"
if [ "$jfr" = yes ]; then
  "$jdk/bin/jcmd" "$driver" JFR.dump name=1 "filename=$out/driver.jfr" > /dev/null
  "$jdk/bin/jfr" summary "$out/driver.jfr" > "$out/jfr-summary.txt"
  "$jdk/bin/jfr" view --width 200 hot-methods "$out/driver.jfr" > "$out/jfr-hot-methods.txt" 2>&1 || true
  "$jdk/bin/jfr" print --events jdk.FileForce --stack-depth 12 "$out/driver.jfr" > "$out/jfr-file-force.txt"
  "$jdk/bin/jfr" print --events jdk.ThreadPark --stack-depth 12 "$out/driver.jfr" > "$out/jfr-thread-park.txt"
  "$jdk/bin/jfr" print --events jdk.ProcessStart "$out/driver.jfr" > "$out/jfr-process-start.txt"
  # Time parked (above JFR's 10 ms threshold) and time in fsync, by the first frame of the driver's own code.
  for event in thread-park file-force; do
    echo "jfr $event: total ms, events, first driver frame"
    awk '/^jdk\./ { d = ""; f = "" }
      / duration = / { v = $3; u = $4; d = u == "ms" ? v : u == "us" ? v / 1000 : u == "s" ? v * 1000 : u == "ns" ? v / 1e6 : v }
      /dev\.ordinal/ && f == "" { f = $0; sub(/^ +/, "", f) }
      /^}/ { if (d != "" && f != "") { s[f] += d; n[f]++ } }
      END { for (k in s) printf "  %9.0f %6d  %s\n", s[k], n[k], k }' "$out/jfr-$event.txt" | sort -rn | head -6
  done
fi
sed -n '/^== /,$p' "$out/client.log"
echo "RSS idle: $(tr '\n' ' ' < "$out/rss-idle.txt")"
echo "RSS after load: $(tr '\n' ' ' < "$out/rss-load.txt")"
echo "strace -c (5 s of the measured load), top lines:"; head -14 "$out/strace.txt"
echo "output: $out"
