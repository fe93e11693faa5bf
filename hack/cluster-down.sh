#!/usr/bin/env bash
# Stops a cluster that `make cluster` started (or a real-cluster test left behind) and removes its directory:
# SIGTERM to the harness (it stops every component, newest first), then SIGTERM/SIGKILL to any component still
# listed in <dir>/pids, then lazy unmounts of whatever is still mounted under <dir>.
# Usage: hack/cluster-down.sh [dir]   (default /tmp/ordinal-cluster)
set -euo pipefail
dir=${1:-/tmp/ordinal-cluster}
dir=$(realpath -m "$dir")
if [ ! -d "$dir" ]; then
  echo "cluster-down: no cluster in $dir"
  exit 0
fi

# Only a process that names the cluster's directory in its command line or environment is ours: a pid in the
# file may have been reused since.
ours() {
  local pid=$1
  { tr '\0' '\n' < "/proc/$pid/cmdline" | grep -qF "$dir"; } 2>/dev/null && return 0
  { tr '\0' '\n' < "/proc/$pid/environ" | grep -qF "$dir"; } 2>/dev/null
}

stop() {
  local pid=$1 name=$2
  ours "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    ours "$pid" || { echo "cluster-down: stopped $name ($pid)"; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  echo "cluster-down: killed $name ($pid)"
}

if [ -f "$dir/cluster.pid" ]; then
  harness=$(cat "$dir/cluster.pid")
  if ours "$harness"; then
    kill -TERM "$harness" 2>/dev/null || true
    for _ in $(seq 1 600); do
      ours "$harness" || break
      sleep 0.1
    done
    if ours "$harness"; then
      kill -KILL "$harness" 2>/dev/null || true
      echo "cluster-down: harness ($harness) killed"
    else
      echo "cluster-down: harness ($harness) stopped"
    fi
  fi
fi
if [ -f "$dir/pids" ]; then
  tac "$dir/pids" | while read -r pid name; do stop "$pid" "$name"; done
fi
awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
  umount -l "$m" && echo "cluster-down: unmounted $m"
done
# Loop devices of image volumes that were still staged.
losetup --list --noheadings --output NAME,BACK-FILE 2>/dev/null | while read -r device file; do
  case "$file" in "$dir"/*) losetup -d "$device" && echo "cluster-down: detached $device ($file)" ;; esac
done
rm -rf "$dir"
echo "cluster-down: removed $dir"
