#!/usr/bin/env bash
# Builds the Kubernetes side of `make e2e` and `make cluster` from Go modules: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl, kwok, and the CSI sidecars the chart runs (csi-provisioner,
# csi-resizer, csi-snapshotter) with the snapshot-controller and the VolumeSnapshot CRDs of the same release.
#
# Versions: hack/kube-tools.env (Kubernetes, etcd, kwok) and charts/ordinal/values.yaml (the sidecars' tags), nowhere
# else. Each binary is built once per version into $ORDINAL_TOOLS_CACHE (default ~/.cache/ordinal-tools, outside the
# clone, so a fresh clone on the same machine does not rebuild) and linked into .tools/<name>-<version> and
# .tools/<name>. Nothing fetched lands in the repository: sources stay in Go's module cache, and the small build
# module each tool is built from is generated in a temporary directory.
#
# Each tool is built as a dependency of a generated module that carries the tool's own `replace` directives (Go
# ignores a dependency's replaces): the kubernetes-csi sidecars pin k8s.io/* that way, and Kubernetes points its
# staging modules at ./staging, which the generated module replaces with the published k8s.io/* v0.<minor>.<patch>.
#
# Usage: hack/get-kube-tools.sh [--print-env] [tool...]   (no tool: all of them)
#   --print-env: after building, print NAME=path lines for the harness (e.g. KUBE_APISERVER=/.../kube-apiserver).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
source hack/kube-tools.env

print_env=false
if [ "${1:-}" = "--print-env" ]; then print_env=true; shift; fi

go_bin=${GO:-}
if [ -z "$go_bin" ]; then
  if [ -x /usr/local/go/bin/go ]; then go_bin=/usr/local/go/bin/go; else go_bin=$(command -v go || true); fi
fi
if [ -z "$go_bin" ]; then
  echo "get-kube-tools: no Go toolchain (looked at \$GO, /usr/local/go/bin/go and PATH); Go >= 1.26 is needed." >&2
  exit 1
fi

# The sidecars' tags, read from the chart: sidecars.<name>.tag.
chart_tag() {
  awk -v want="$1" '
    /^sidecars:/ { in_sidecars = 1; next }
    in_sidecars && /^[^ #]/ { in_sidecars = 0 }
    in_sidecars && /^  [a-zA-Z]+:/ { current = $1; sub(":", "", current) }
    in_sidecars && current == want && /^    tag:/ { print $2; exit }
  ' charts/ordinal/values.yaml
}
PROVISIONER_VERSION=$(chart_tag provisioner)
RESIZER_VERSION=$(chart_tag resizer)
SNAPSHOTTER_VERSION=$(chart_tag snapshotter)
for v in PROVISIONER_VERSION RESIZER_VERSION SNAPSHOTTER_VERSION; do
  if [ -z "${!v}" ]; then echo "get-kube-tools: no $v in charts/ordinal/values.yaml (sidecars.*.tag)" >&2; exit 1; fi
done
kube_minor_patch=${KUBERNETES_VERSION#v1.}
kube_staging_version=v0.$kube_minor_patch

cache=${ORDINAL_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ordinal-tools}
tools=$repo/.tools
mkdir -p "$cache" "$tools"

export GOFLAGS="-trimpath -buildvcs=false -mod=mod"
export GOTOOLCHAIN=local
# The checksum database (sum.golang.org) is not reachable from every machine this runs on; the module proxy is.
# Set GOSUMDB yourself to have every module checked against it.
export GOSUMDB=${GOSUMDB:-off}
# Two compile jobs at most: the machines this runs on are small and shared.
parallel=${KUBE_TOOLS_PARALLEL:-2}

k8s_version_ldflags() {
  local v=$KUBERNETES_VERSION minor=${kube_minor_patch%%.*} pkg flags=""
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    flags+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
    flags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$flags"
}

# Writes go.mod of the build module in $1 for module $2@$3: requires it and copies its replace directives,
# turning the ones to local directories into their published modules (see the header).
generate_build_module() {
  local dir=$1 module=$2 version=$3 gomod old new newver
  gomod=$("$go_bin" mod download -json "$module@$version" | jq -r '.GoMod // empty')
  if [ -z "$gomod" ]; then echo "get-kube-tools: the module proxy has no $module@$version" >&2; return 1; fi
  (cd "$dir" && "$go_bin" mod init ordinal.dev/kube-tools-build >/dev/null 2>&1 \
    && "$go_bin" mod edit -go=1.26.0 -require="$module@$version")
  while IFS=$'\t' read -r old new newver; do
    if [ -n "$newver" ]; then
      (cd "$dir" && "$go_bin" mod edit -replace="$old=$new@$newver")
    elif [ "$module" = k8s.io/kubernetes ] && [[ $new == ./staging/src/k8s.io/* ]]; then
      (cd "$dir" && "$go_bin" mod edit -replace="$old=$old@$kube_staging_version")
    elif [[ $new == ./* ]] && "$go_bin" mod download -json "$old@$version" >/dev/null 2>&1; then
      # A module of the same repository (external-snapshotter's client/v8), published under the same tag.
      (cd "$dir" && "$go_bin" mod edit -replace="$old=$old@$version")
    fi
  done < <("$go_bin" mod edit -json "$gomod" | jq -r '.Replace // [] | .[] | [.Old.Path, .New.Path, (.New.Version // "")] | @tsv')
}

# build <name> <version> <module> <module version> <package> [extra ldflags]
build() {
  local name=$1 version=$2 module=$3 modversion=$4 package=$5 ldflags="-s -w ${6:-}"
  local out=$cache/$name-$version
  if [ ! -x "$out" ]; then
    local scratch start
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/ordinal-kube-tools.XXXXXX")
    start=$SECONDS
    echo "get-kube-tools: building $name $version ($package from $module@$modversion)"
    generate_build_module "$scratch" "$module" "$modversion"
    if ! (cd "$scratch" && "$go_bin" build -p "$parallel" -ldflags="$ldflags" -o "$out.partial" "$package"); then
      echo "get-kube-tools: building $name failed; the build module was $scratch/go.mod" >&2
      return 1
    fi
    mv "$out.partial" "$out"
    rm -rf "$scratch"
    echo "get-kube-tools: built $name $version in $((SECONDS - start)) s"
  fi
  ln -sfn "$out" "$tools/$name-$version"
  ln -sfn "$name-$version" "$tools/$name"
  if $print_env; then
    local var=${name^^}
    echo "${var//-/_}=$tools/$name-$version"
  fi
}

# The snapshot CRDs of the external-snapshotter release, copied from Go's module cache (never committed).
snapshot_crds() {
  local dir=$cache/snapshot-crds-$SNAPSHOTTER_VERSION src
  if [ ! -d "$dir" ]; then
    src=$("$go_bin" mod download -json "github.com/kubernetes-csi/external-snapshotter/client/v8@$SNAPSHOTTER_VERSION" | jq -r '.Dir')
    mkdir -p "$dir.partial"
    cp "$src"/config/crd/snapshot.storage.k8s.io_*.yaml "$dir.partial/"
    chmod u+w "$dir.partial"/*
    mv "$dir.partial" "$dir"
  fi
  ln -sfn "$dir" "$tools/snapshot-crds-$SNAPSHOTTER_VERSION"
  ln -sfn "snapshot-crds-$SNAPSHOTTER_VERSION" "$tools/snapshot-crds"
  if $print_env; then echo "SNAPSHOT_CRDS=$tools/snapshot-crds-$SNAPSHOTTER_VERSION"; fi
}

# kwok's stages for fake nodes and Pods (nodes initialise and heartbeat; Pods become Running and go away when
# deleted), from its module in Go's module cache: the same ones `kwokctl` embeds.
kwok_stages() {
  local file=$cache/kwok-stages-$KWOK_VERSION.yaml src stage
  if [ ! -f "$file" ]; then
    src=$("$go_bin" mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | jq -r '.Dir')/kustomize/stage
    for stage in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml pod/fast/pod-ready.yaml \
        pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
      echo "---"
      cat "$src/$stage"
    done > "$file.partial"
    mv "$file.partial" "$file"
  fi
  ln -sfn "$file" "$tools/kwok-stages-$KWOK_VERSION.yaml"
  if $print_env; then echo "KWOK_STAGES=$tools/kwok-stages-$KWOK_VERSION.yaml"; fi
}

build_tool() {
  case $1 in
    etcd) build etcd "$ETCD_VERSION" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3 ;;
    kube-apiserver|kube-controller-manager|kube-scheduler|kubectl)
      build "$1" "$KUBERNETES_VERSION" k8s.io/kubernetes "$KUBERNETES_VERSION" "k8s.io/kubernetes/cmd/$1" \
        "$(k8s_version_ldflags)" ;;
    kwok) build kwok "$KWOK_VERSION" sigs.k8s.io/kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok \
        "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" ;;
    csi-provisioner) build csi-provisioner "$PROVISIONER_VERSION" github.com/kubernetes-csi/external-provisioner/v5 \
        "$PROVISIONER_VERSION" github.com/kubernetes-csi/external-provisioner/v5/cmd/csi-provisioner \
        "-X main.version=$PROVISIONER_VERSION" ;;
    csi-resizer) build csi-resizer "$RESIZER_VERSION" github.com/kubernetes-csi/external-resizer \
        "$RESIZER_VERSION" github.com/kubernetes-csi/external-resizer/cmd/csi-resizer "-X main.version=$RESIZER_VERSION" ;;
    csi-snapshotter|snapshot-controller) build "$1" "$SNAPSHOTTER_VERSION" github.com/kubernetes-csi/external-snapshotter/v8 \
        "$SNAPSHOTTER_VERSION" "github.com/kubernetes-csi/external-snapshotter/v8/cmd/$1" "-X main.version=$SNAPSHOTTER_VERSION" ;;
    snapshot-crds) snapshot_crds ;;
    kwok-stages) kwok_stages ;;
    *) echo "get-kube-tools: unknown tool $1" >&2; return 1 ;;
  esac
}

all=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok kwok-stages csi-provisioner csi-resizer
  csi-snapshotter snapshot-controller snapshot-crds)
if [ $# -eq 0 ]; then set -- "${all[@]}"; fi
total_start=$SECONDS
for tool in "$@"; do build_tool "$tool"; done
if ! $print_env; then echo "get-kube-tools: $* ready in .tools/ ($((SECONDS - total_start)) s)"; fi
