#!/usr/bin/env bash
# Ordinal and the reference driver side by side (issue 18), driven by the same black-box client (loadclient/) over
# their unix sockets. For each scenario the two drivers take turns, A B A B A B, each run on a freshly started
# driver in a fresh directory; every run records the time from exec to a listening socket, the resident set 2 s
# after that (idle) and the high-water mark of the resident set at the end of the load (VmHWM, peak), both from
# /proc/<pid>/status, and the client's iterations/s. Prints the medians and Ordinal/reference ratios.
#
#   make build loadclient && hack/bench-compare.sh
#
# Scenarios: probe (concurrency 8), create-delete (4), create-publish = create, stage, publish, unpublish, unstage,
# delete (2). Ordinal gets the `dir` layout (CreateVolume parameter layout=dir); the reference ignores that
# parameter and uses its default (a directory per volume under its state directory).
#
# Settings (environment):
#   BENCH_REFERENCE  hostpath (default): csi-driver-host-path's hostpathplugin, hack/get-hostpath-plugin.sh
#                    (or HOSTPATHPLUGIN=/path); ordinal: a second Ordinal, the tool's own noise (A/A), or
#                    another build of it (before/after) with BENCH_REFERENCE_APP=<its quarkus-app directory>,
#                    e.g. a copy of driver/target/quarkus-app taken before a change, and/or other JVM options
#                    with BENCH_REFERENCE_JAVA_OPTS (default: DRIVER_JAVA_OPTS); none: Ordinal alone
#   BENCH_ROUNDS     runs per driver and scenario (default 3)
#   BENCH_DURATION   measured time per run (default 8s); BENCH_WARMUP unmeasured time before it (default 3s)
#   BENCH_SCENARIOS  which scenarios, space-separated (default "probe create-delete create-publish")
#   DRIVER_JAVA_OPTS Ordinal's JVM options (default: those of `make run`, hack/run-driver.sh)
# Everything lives under /tmp/ordinal-bench-compare: runs/ is removed after each run (mounts undone first),
# results-<UTC time>/ keeps each run's driver and client logs.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

reference=${BENCH_REFERENCE:-hostpath}
rounds=${BENCH_ROUNDS:-3}
duration=${BENCH_DURATION:-8s}
warmup=${BENCH_WARMUP:-3s}
scenarios=${BENCH_SCENARIOS:-probe create-delete create-publish}
driver_jar=driver/target/quarkus-app/quarkus-run.jar
client_jar=loadclient/target/ordinal-loadclient.jar

case $reference in hostpath | ordinal | none) ;; *)
  echo "bench-compare: BENCH_REFERENCE must be hostpath, ordinal or none (was '$reference')" >&2; exit 2 ;;
esac
for jar in "$driver_jar" "$client_jar"; do
  if [ ! -f "$jar" ]; then echo "bench-compare: $jar is missing: run 'make build loadclient' first" >&2; exit 2; fi
done
reference_app=${BENCH_REFERENCE_APP:-driver/target/quarkus-app}
if [ "$reference" = ordinal ] && [ ! -f "$reference_app/quarkus-run.jar" ]; then
  echo "bench-compare: BENCH_REFERENCE_APP=$reference_app holds no quarkus-run.jar" >&2; exit 2
fi
jdk=$(hack/find-jdk.sh)
hostpath_bin=
if [ "$reference" = hostpath ]; then
  if ! hostpath_bin=$(hack/get-hostpath-plugin.sh); then
    echo "bench-compare: no reference driver. BENCH_REFERENCE=none measures Ordinal alone." >&2
    exit 2
  fi
fi

base=/tmp/ordinal-bench-compare
run_dir=$base/runs
results=$base/results-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$results"

concurrency_of() {
  case $1 in probe) echo 8 ;; create-delete) echo 4 ;; create-publish) echo 2 ;; *)
    echo "bench-compare: unknown scenario '$1'" >&2; return 2 ;;
  esac
}

driver_pid=
# Stops the driver started last (TERM, then KILL after 10 s), undoes any mount left under the run directory and
# removes it. Refuses to remove a directory that still has a mount in it.
cleanup_run() {
  if [ -n "$driver_pid" ] && kill -0 "$driver_pid" 2>/dev/null; then
    kill -TERM "$driver_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$driver_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$driver_pid" 2>/dev/null || true
    wait "$driver_pid" 2>/dev/null || true
  fi
  driver_pid=
  if [ -d "$run_dir" ]; then
    findmnt -rn -o TARGET | { grep -F "$run_dir/" || true; } | sort -r | while read -r target; do
      umount "$target" 2>/dev/null || umount -l "$target" || true
    done
    if findmnt -rn -o TARGET | grep -qF "$run_dir/"; then
      echo "bench-compare: mounts left under $run_dir; not removing it" >&2
      return 1
    fi
    rm -rf "$run_dir"
  fi
}
trap 'cleanup_run' EXIT
trap 'exit 130' INT TERM

status_kib() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$2/status"; }

# start_driver <kind> <log>: starts a driver on $run_dir/csi.sock; sets driver_pid and start_ms.
start_driver() {
  local kind=$1 log=$2 t0
  rm -rf "$run_dir" && mkdir -p "$run_dir"
  t0=$(date +%s%N)
  case $kind in
    ordinal | ordinal-b)
      # As `make run` starts it (its JVM options and start-up archive); the script execs java, so $! is the JVM.
      # The reference Ordinal may be another build (BENCH_REFERENCE_APP).
      local app=driver/target/quarkus-app java_opts=${DRIVER_JAVA_OPTS:-}
      if [ "$kind" = ordinal-b ]; then
        app=$reference_app
        java_opts=${BENCH_REFERENCE_JAVA_OPTS:-$java_opts}
      fi
      DRIVER_APP=$app DRIVER_JAVA_OPTS=$java_opts hack/run-driver.sh --endpoint "unix://$run_dir/csi.sock" --disk "default=$run_dir/disks/default" \
        --state-dir "$run_dir/state" --node-id bench --management-port 0 > "$log" 2>&1 &
      ;;
    hostpath)
      "$hostpath_bin" --endpoint "unix://$run_dir/csi.sock" --nodeid bench --drivername hostpath.csi.k8s.io \
        --statedir "$run_dir/state" > "$log" 2>&1 &
      ;;
  esac
  driver_pid=$!
  for _ in $(seq 1 3000); do
    [ -S "$run_dir/csi.sock" ] && break
    kill -0 "$driver_pid" 2>/dev/null || { echo "bench-compare: $kind exited at start; see $log" >&2; return 1; }
    sleep 0.005
  done
  [ -S "$run_dir/csi.sock" ] || { echo "bench-compare: $kind never opened its socket; see $log" >&2; return 1; }
  start_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
}

# One run: fresh driver, idle RSS, load, peak RSS. Appends "driver scenario round ops start_ms idle_kib peak_kib ok".
measure() {
  local label=$1 kind=$2 scenario=$3 round=$4 tag log client_log ops idle peak ok=yes
  tag=$label-$scenario-$round
  log=$results/$tag.driver.log
  client_log=$results/$tag.client.log
  start_driver "$kind" "$log"
  sleep 2
  idle=$(status_kib VmRSS "$driver_pid")
  if ! "$jdk/bin/java" -XX:+UseSerialGC -jar "$client_jar" --endpoint "unix://$run_dir/csi.sock" \
      --scenario "$scenario" --concurrency "$(concurrency_of "$scenario")" --duration "$duration" \
      --warmup "$warmup" --layout dir --work-dir "$run_dir/load" > "$client_log" 2>&1; then
    ok=no
  fi
  peak=$(status_kib VmHWM "$driver_pid")
  ops=$(sed -n 's/^== .* -> \([0-9.]*\) iterations\/s.*/\1/p' "$client_log")
  cleanup_run
  printf '%s %s %s %s %s %s %s %s\n' "$label" "$scenario" "$round" "${ops:-0}" "$start_ms" "$idle" "$peak" "$ok" \
    >> "$results/runs.txt"
  printf '  %-9s %-15s round %s: %10s iterations/s  start %5s ms  RSS idle %4s MiB  peak %4s MiB%s\n' \
    "$label" "$scenario" "$round" "${ops:-0}" "$start_ms" $((idle / 1024)) $((peak / 1024)) \
    "$([ $ok = yes ] || echo "  CALLS FAILED: see $client_log")"
}

labels=(ordinal)
kinds=(ordinal)
case $reference in
  hostpath) labels+=(hostpath); kinds+=(hostpath) ;;
  ordinal) labels+=(ordinal-b); kinds+=(ordinal-b) ;;
esac

echo "bench-compare: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $rounds rounds of" \
  "$warmup warm-up + $duration, reference: $reference${hostpath_bin:+ ($hostpath_bin)}$([ "$reference" = ordinal ] && echo " ($reference_app)"); logs in $results"
# The start-up archive that `make run` uses is made for each new build by a training start: made here, before any
# clock starts, so that no measured start includes it.
hack/run-driver.sh --archive-only > "$results/archive.log" 2>&1
[ "$reference" = ordinal ] && DRIVER_APP=$reference_app hack/run-driver.sh --archive-only >> "$results/archive.log" 2>&1

: > "$results/runs.txt"
for scenario in $scenarios; do
  concurrency_of "$scenario" > /dev/null
  for round in $(seq 1 "$rounds"); do
    for i in "${!labels[@]}"; do
      measure "${labels[$i]}" "${kinds[$i]}" "$scenario" "$round"
    done
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# The table: medians over the runs (start and idle over every run of a driver, peak per scenario).
awk -v labels="${labels[*]}" '
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    if (n == 0) return ""
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  function add(key, value) { values[key] = values[key] (values[key] == "" ? "" : " ") value }
  {
    label = $1; scenario = $2
    if (!(scenario in seen)) { order[++ns] = scenario; seen[scenario] = 1 }
    add(label SUBSEP "ops" SUBSEP scenario, $4)
    add(label SUBSEP "peak" SUBSEP scenario, $7 / 1024)
    add(label SUBSEP "start", $5 / 1000)
    add(label SUBSEP "idle", $6 / 1024)
    if ($8 != "yes") failed[label SUBSEP scenario] = 1
  }
  function row(name, key, fmt, higher_is_better,   i, m, first, out, r) {
    out = sprintf("%-46s", name)
    for (i = 1; i <= nl; i++) {
      m[i] = median(values[l[i] SUBSEP key])
      out = out sprintf(" %12s", m[i] == "" ? "-" : sprintf(fmt, m[i]))
    }
    if (nl == 2 && m[1] != "" && m[2] != "" && m[2] + 0 > 0) {
      r = m[1] / m[2]
      out = out sprintf(" %8.2f", r)
    }
    print out
  }
  END {
    nl = split(labels, l, " ")
    header = sprintf("%-46s", "figure (median of each driver'"'"'s runs)")
    for (i = 1; i <= nl; i++) header = header sprintf(" %12s", l[i])
    if (nl == 2) header = header sprintf(" %8s", "ratio")
    print ""; print header
    conc["probe"] = 8; conc["create-delete"] = 4; conc["create-publish"] = 2
    for (s = 1; s <= ns; s++) row(order[s] ", concurrency " conc[order[s]] " (iterations/s)", "ops" SUBSEP order[s], "%.1f")
    row("start to listening socket (s)", "start", "%.3f")
    row("RSS idle, 2 s after start (MiB)", "idle", "%.1f")
    for (s = 1; s <= ns; s++) row("RSS peak (VmHWM) after " order[s] " (MiB)", "peak" SUBSEP order[s], "%.1f")
    if (nl == 2) print "ratio = " l[1] " / " l[2] ": above 1 is faster for iterations/s, larger for RSS and start."
    for (k in failed) { split(k, p, SUBSEP); print "WARNING: calls failed in a " p[1] " " p[2] " run (see its client log)" }
  }' "$results/runs.txt" | tee "$results/table.txt"
