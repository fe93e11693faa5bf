#!/usr/bin/env bash
# Measures the driver with the load client, the way BENCHMARKS.md reports it: starts the all-in-one driver on a
# fresh root under /tmp/ordinal-bench (its own socket and management port), waits for the socket, runs one load
# scenario, and prints the load client's table, the time to a serving socket and the driver's peak RSS.
#   hack/bench-driver.sh --scenario probe --concurrency 8 --duration 20s --warmup 5s
# Build first: make build loadclient. The driver starts as `make run` starts it (hack/run-driver.sh: JVM options,
# start-up archive, made before the clock starts if the build is new); DRIVER_JAVA_OPTS overrides the JVM options.
set -euo pipefail
cd "$(dirname "$0")/.."
jdk=$(hack/find-jdk.sh)
root=/tmp/ordinal-bench
rm -rf "$root" && mkdir -p "$root"
# A fresh build's archive is made first, so that the time to a serving socket is that of every later start.
hack/run-driver.sh --archive-only
start=$(date +%s%N)
hack/run-driver.sh --endpoint "unix://$root/csi.sock" --disk "default=$root/disks/default" \
  --management-port 19900 > "$root/driver.log" 2>&1 &
driver=$!
trap 'kill $driver 2>/dev/null; wait $driver 2>/dev/null || true' EXIT
for _ in $(seq 1 1000); do [ -S "$root/csi.sock" ] && break; sleep 0.01; done
echo "driver: socket serving after $(( ($(date +%s%N) - start) / 1000000 )) ms"
"$jdk/bin/java" -jar loadclient/target/ordinal-loadclient.jar --endpoint "unix://$root/csi.sock" \
  --work-dir "$root/load" "$@" 2>/dev/null &
load=$!
peak=0
while kill -0 $load 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$driver/status")
  [ "$rss" -gt "$peak" ] && peak=$rss
  sleep 0.5
done
wait $load
echo "driver: peak RSS $((peak / 1024)) MiB"
