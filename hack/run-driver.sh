#!/usr/bin/env bash
# Starts the built all-in-one driver (driver/target/quarkus-app) with the JVM options of `make run`, which calls it;
# hack/bench-driver.sh starts the driver through it too. Arguments go to the driver (--endpoint, --disk...);
# --archive-only brings the start-up archive up to date and starts nothing.
#
# JVM options: a small heap with a small young generation, the serial collector and, on JDK 25, the C heap handed
# back to the system every second keep RSS down (BENCHMARKS.md, "Footprint"); DRIVER_JAVA_OPTS replaces them.
#
# Start-up archive: the classes the driver loads while starting, parsed and linked once and mapped from a file on
# every later start. With JDK 25 or newer an AOT cache (-XX:AOTCache, JEP 483/514), before that a dynamic class-data
# archive (-XX:SharedArchiveFile). Either is valid only for the exact jar (its modification time) and JDK it was made
# with, so it is made by a short training start on a scratch socket whenever the jar is newer or the JDK another,
# before the real start: the first start after a build takes those few seconds more, every start serves sooner,
# and the JVM never has to report a mismatched archive. DRIVER_ARCHIVE=off starts without one.
#
# DRIVER_APP: another built application directory to start than driver/target/quarkus-app (a copy of an earlier
# build: hack/bench-compare.sh runs it side by side with this one); its archive is kept inside it.
set -euo pipefail
cd "$(dirname "$0")/.."

jdk=$(hack/find-jdk.sh)
app=${DRIVER_APP:-driver/target/quarkus-app}
app=${app%/}
jar=$app/quarkus-run.jar
archive_dir=driver/target
[ "$app" = driver/target/quarkus-app ] || archive_dir=$app
if [ ! -f "$jar" ]; then
  echo "run-driver: $jar is not built; make build (or make run) builds it." >&2
  exit 1
fi
# From the JDK's release file, without starting a JVM: JAVA_VERSION="25.0.3", JAVA_RUNTIME_VERSION="25.0.3+9-LTS".
release_value() { sed -n "s/^$1=\"\(.*\)\"$/\1/p" "$jdk/release"; }
runtime=$(release_value JAVA_RUNTIME_VERSION)
major=$(release_value JAVA_VERSION | cut -d. -f1)

# How host tools (mount, losetup, mkfs) are started: VFORK execs the tool directly, posix_spawn (the default) execs
# jspawnhelper first, about 1 ms more per command (BENCHMARKS.md). JDK 25 deprecates VFORK for removal and prints a
# banner for it, so VFORK only before 25.
launch=()
[ "${major:-0}" -lt 25 ] 2>/dev/null && launch=(-Djdk.lang.Process.launchMechanism=VFORK)
# The young generation at 8 MiB instead of a third of the heap: the driver keeps ~12 MiB live, and every byte of
# eden is touched (resident) between two collections. Trimming the C heap gives back what the JIT compilers'
# arenas took at start and under load (glibc keeps freed memory otherwise); measured on JDK 25 only.
trim=()
[ "${major:-0}" -ge 25 ] 2>/dev/null && trim=(-XX:TrimNativeHeapInterval=1000)
# shellcheck disable=SC2206
opts=(${DRIVER_JAVA_OPTS:--Xmx64m -Xmn8m -XX:+UseSerialGC ${launch[*]} ${trim[*]}})
if [ "${major:-0}" -ge 25 ] 2>/dev/null; then
  archive=$archive_dir/ordinal-driver.aot
  make_archive=(-XX:AOTCacheOutput="$archive")
  use_archive=(-XX:AOTCache="$archive")
  quiet_archive=(-Xlog:aot=error -Xlog:cds=error)
else
  archive=$archive_dir/ordinal-driver.jsa
  make_archive=(-XX:ArchiveClassesAtExit="$archive")
  use_archive=(-XX:SharedArchiveFile="$archive")
  quiet_archive=(-Xlog:cds=error)
fi
made_with="$archive.jdk"

# Whether the archive fits this jar and this JDK.
archive_fits() {
  [ -f "$archive" ] && [ "$archive" -nt "$jar" ] && [ -f "$made_with" ] && [ "$(cat "$made_with")" = "$runtime" ]
}

# The training start: the driver on a scratch root until its socket serves, then stopped (SIGTERM), which is when
# the JVM writes the archive. Its output goes to a log; one line says what is happening.
make_archive() {
  local scratch driver
  scratch=$(mktemp -d /tmp/ordinal-archive.XXXXXX)
  rm -f "$archive" "$made_with"
  echo "run-driver: making the start-up archive $archive for this build (once; a few seconds)"
  "$jdk/bin/java" "${opts[@]}" "${make_archive[@]}" "${quiet_archive[@]}" -jar "$jar" \
    --endpoint "unix://$scratch/csi.sock" --disk "default=$scratch/disks/default" --state-dir "$scratch/state" \
    --management-port 0 > "$scratch/training.log" 2>&1 &
  driver=$!
  for _ in $(seq 1 6000); do
    [ -S "$scratch/csi.sock" ] && break
    kill -0 "$driver" 2>/dev/null || break
    sleep 0.02
  done
  kill -TERM "$driver" 2>/dev/null || true
  wait "$driver" || true
  if [ -f "$archive" ]; then
    echo "$runtime" > "$made_with"
    rm -rf "$scratch"
  else
    echo "run-driver: no start-up archive was made (log: $scratch/training.log); starting without one" >&2
  fi
}

if [ "${1:-}" = --archive-only ]; then
  # Only bring the archive up to date (hack/bench-driver.sh, before it starts its clock).
  [ "${DRIVER_ARCHIVE:-on}" = off ] || archive_fits || make_archive
  exit 0
fi
archive_opts=()
case " $* " in
  # --help prints and exits: no archive wanted for that.
  *" --help "* | *" -h "*) ;;
  *)
    if [ "${DRIVER_ARCHIVE:-on}" != off ]; then
      archive_fits || make_archive
      archive_fits && archive_opts=("${use_archive[@]}" "${quiet_archive[@]}")
    fi
    ;;
esac
exec "$jdk/bin/java" "${opts[@]}" "${archive_opts[@]}" -jar "$jar" "$@"
