#!/usr/bin/env bash
# Keeps the commands printed in README.md and BENCHMARKS.md true: every command in a ```sh block (lines joined at a
# trailing backslash, comments dropped) and every inline `make ...`, `./mvnw ...`, `JAVA_HOME=...`, `java ...` or
# `hack/...` span is run as printed, or, where running it takes a cluster, a container engine or minutes of
# benchmark, checked without running it (listed with the reason). A command this script does not know fails the
# check: a new command in the docs gets a line in classify() below.
#   hack/check-docs-commands.sh          CI: quick commands run, long ones checked (make -n, static rules)
#   hack/check-docs-commands.sh --all    also runs the long ones (benchmarks, crash harness; tens of minutes)
# Run as root from a checkout (make check-docs). It starts `make run` itself, on its default socket and port.
set -uo pipefail
cd "$(dirname "$0")/.."
all=false
[ "${1:-}" = --all ] && all=true

# ---- extraction -----------------------------------------------------------------------------------------------
fenced() {
  awk '
    /^```sh[[:space:]]*$/ { inside = 1; next }
    /^```/ { inside = 0; next }
    inside && heredoc != "" { if ($0 == heredoc) heredoc = ""; next }   # a here-document: input, not commands
    inside {
      line = $0
      if (match(line, /<<-?\047?[A-Z]+\047?[[:space:]]*$/)) { heredoc = substr(line, RSTART, RLENGTH); gsub(/[^A-Z]/, "", heredoc) }
      if (line ~ /^[[:space:]]*#/ || line ~ /^[[:space:]]*$/) next
      if (line ~ /\\[[:space:]]*$/) { sub(/\\[[:space:]]*$/, "", line); joined = joined line " "; next }
      line = joined line; joined = ""
      sub(/[[:space:]]+# .*$/, "", line)   # a trailing comment (no command of ours has "# " inside quotes)
      gsub(/[[:space:]]+/, " ", line); sub(/^ /, "", line); sub(/ $/, "", line)
      print FILENAME "\t" line
    }' "$@"
}
# Inline spans in prose name commands more than they give them to type: they get the static rules only.
inline() {
  grep -o '`[^`]*`' "$@" /dev/null | sed 's/^\([^:]*\):`\(.*\)`$/\1 (inline)\t\2/' |
    grep -P '\t(make |\./mvnw |JAVA_HOME=|java |hack/)' || true
}

# ---- classification: what to do with each command -------------------------------------------------------------
# run: execute as printed. driver-run: `make run`, kept running for the commands that need a driver.
# make-plan: make -n must show a rule that does something. static: only the static rules below. skip: never run here.
classify() {
  case "$1" in
    "make run") echo "driver-run" ;;
    'make run ARGS="--help"') echo "run" ;;
    "make test") echo "make-plan CI runs make test itself, just before this check" ;;
    "make build loadclient") echo "run" ;;
    "make load "*) echo "run-with-driver" ;;
    "make crash-test"*) echo "long make-plan the full crash run takes tens of minutes; make test runs it with 3 kills per layout" ;;
    "make bench-allocator"*) echo "long make-plan JMH runs of minutes" ;;
    "hack/bench-driver.sh "*) echo "long static a 25 s benchmark each" ;;
    "make bench-compare") echo "make-plan needs the reference driver, whose Go module the module proxy here refuses (BENCHMARKS.md)" ;;
    "make bench-compare "*) echo "long make-plan a side-by-side benchmark of minutes" ;;
    "hack/bench-profile.sh "* | "BENCH_JFR=no hack/bench-profile.sh "*) echo "long static a profiled load of half a minute" ;;
    "rm -rf /tmp/ordinal-before && "*) echo "run" ;;
    "BENCH_REFERENCE=ordinal "*" hack/bench-compare.sh") echo "long static a before/after benchmark of minutes" ;;
    "DRIVER_JAVA_OPTS="*" hack/bench-compare.sh") echo "long static a benchmark of a minute" ;;
    "make images"*) echo "make-plan needs a container engine, which CI machines do not have" ;;
    "make native") echo "make-plan needs GraalVM/Mandrel's native-image, which CI machines do not have" ;;
    "make native-check") echo "make-plan the native sources-only build takes minutes; run by hand before a release" ;;
    "docker build "* | "docker push "*) echo "skip needs a container engine (and a registry to push to)" ;;
    "helm install "*) echo "helm-template needs a cluster; the same arguments are rendered with helm template" ;;
    "helm upgrade "* | "helm uninstall "*) echo "skip needs a cluster and a release" ;;
    "JAVA_HOME=\$(hack/find-jdk.sh) ./mvnw "*) echo "long static a Maven test run of minutes" ;;
    "make kube-tools") echo "run" ;;
    "make e2e") echo "make-plan make test runs the same real-Kubernetes tests, just before this check" ;;
    "make cluster") echo "make-plan a cluster left running for a person; make e2e starts the same one and runs README's StatefulSet on it" ;;
    "make cluster-down") echo "make-plan stops what make cluster started" ;;
    "export KUBECONFIG="* | ".tools/kubectl "*) echo "skip talks to the cluster make cluster leaves running; make e2e does the same through the same kubectl" ;;
    "kubectl annotate statefulset db "* | "kubectl get statefulset db "*) echo "skip talks to a user's cluster with README's StatefulSet db; RealVolumeGrowTest makes the same annotation and reads the same status through the API" ;;
    *) echo "unknown" ;;
  esac
}

# ---- static rules every command must pass -----------------------------------------------------------------------
static_problems() {
  local c=$1
  case "$c" in
    java\ * | *" java -"*) echo "starts the java on PATH, which may be older than 21: use a make target or hack/find-jdk.sh" ;;
  esac
  case "$c" in
    *JAVA_HOME=/*) echo "names a JDK path of one machine: use JAVA_HOME=\$(hack/find-jdk.sh)" ;;
  esac
  if [[ "$c" == *./mvnw* ]]; then
    [[ "$c" == *JAVA_HOME=* ]] || echo "runs Maven with whatever JDK JAVA_HOME names: prefix JAVA_HOME=\$(hack/find-jdk.sh)"
    [[ "$c" == *" -pl "* && "$c" != *" -am"* ]] && echo "-pl without -am: needs the other modules in ~/.m2 already"
    [[ "$c" == *" -o "* ]] && echo "-o (offline) fails on a machine whose Maven repository is cold"
  fi
  if [[ "$c" =~ ^make\ ([a-z0-9-]+) ]]; then
    local target=${BASH_REMATCH[1]}
    grep -q "^$target:" Makefile || echo "make $target: no rule in the Makefile"
  fi
  [[ "$c" =~ ^(hack/[^ ]+\.sh)( |$) ]] && [ ! -x "${BASH_REMATCH[1]}" ] && echo "${BASH_REMATCH[1]} is not an executable script"
  return 0
}

# ---- the driver for the commands that talk to one ---------------------------------------------------------------
driver_pid=
log_dir=$(mktemp -d /tmp/ordinal-check-docs.XXXXXX)
stop_driver() {
  if [ -n "$driver_pid" ]; then
    kill -TERM -- "-$driver_pid" 2>/dev/null   # its process group: make, and the java it started
    wait "$driver_pid" 2>/dev/null
    driver_pid=
  fi
}
trap stop_driver EXIT
start_driver() {
  local command=$1
  # stdin from /dev/null here and below: the commands are read from this loop's stdin, and a command that reads
  # its own (Maven, when `make run` has to build the driver first) would swallow the rest of them.
  setsid bash -c "exec $command" < /dev/null > "$log_dir/make-run.log" 2>&1 &
  driver_pid=$!
  for _ in $(seq 1 6000); do
    grep -q '^CSI socket: unix://' "$log_dir/make-run.log" && [ -S /tmp/ordinal/csi.sock ] && return 0
    kill -0 "$driver_pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# ---- main ---------------------------------------------------------------------------------------------------------
failures=0
n=0
report() { printf '%-6s %-10s %s\n       %s\n' "$1" "$2" "$3" "$4"; }
while IFS=$'\t' read -r file command; do
  n=$((n + 1))
  problems=$(static_problems "$command")
  if [[ "$file" == *"(inline)" ]]; then
    action=static reason="named in prose: static rules only"
  else
    read -r action reason <<< "$(classify "$command")"
  fi
  long=false
  if [ "$action" = long ]; then
    long=true
    read -r action reason <<< "$reason"
  fi
  if [ -n "$problems" ]; then
    report FAIL "$action" "$file: $command" "$problems"
    failures=$((failures + 1))
    continue
  fi
  if $long && $all; then
    action=run
  fi
  log="$log_dir/$n.log"
  result=0
  case "$action" in
    run | run-with-driver)
      if [ "$action" = run-with-driver ] && [ -z "$driver_pid" ]; then
        start_driver "make run" || { report FAIL "$action" "$file: $command" "no driver (make run failed: $log_dir/make-run.log)"; failures=$((failures + 1)); continue; }
      fi
      bash -c "$command" < /dev/null > "$log" 2>&1 || result=$?
      detail="exit $result (log: $log)" ;;
    driver-run)
      if [ -n "$driver_pid" ] || start_driver "$command"; then detail="socket served: $(grep '^CSI socket' "$log_dir/make-run.log")"
      else result=1; detail="no socket (log: $log_dir/make-run.log)"; fi ;;
    make-plan)
      out=$(bash -c "${command/make /make -n }" < /dev/null 2>&1) || result=$?
      if [ $result -eq 0 ] && [[ -z "$out" || "$out" == *"Nothing to be done"* ]]; then result=1; fi
      detail="make -n: exit $result; $reason" ;;
    helm-template)
      [ -x .tools/helm ] || hack/get-helm.sh > /dev/null
      bash -c "${command/helm install /.tools/helm template }" < /dev/null > "$log" 2>&1 || result=$?
      detail="helm template with the same arguments: exit $result; $reason" ;;
    static) detail="not run: $reason" ;;
    skip) detail="not run: $reason" ;;
    *) result=1; detail="unknown to hack/check-docs-commands.sh: classify it (run, or why not)" ;;
  esac
  if [ $result -eq 0 ]; then report ok "$action" "$file: $command" "$detail"
  else report FAIL "$action" "$file: $command" "$detail"; failures=$((failures + 1)); fi
done < <(fenced README.md BENCHMARKS.md; inline README.md BENCHMARKS.md)

stop_driver
echo "check-docs: $n commands, $failures failed"
[ $failures -eq 0 ] && rm -rf "$log_dir"
[ $failures -eq 0 ]
