#!/usr/bin/env bash
# Builds the reference driver `make bench-compare` measures Ordinal against: csi-driver-host-path's hostpathplugin,
# from its Go module at a pinned version, once per version into $ORDINAL_TOOLS_CACHE (default
# ~/.cache/ordinal-tools, as hack/get-kube-tools.sh does), linked as .tools/hostpathplugin-<version> and
# .tools/hostpathplugin. Nothing fetched lands in the repository: the source stays in Go's module cache and the
# small build module is generated in a temporary directory. Prints the binary's path on stdout.
#
# HOSTPATHPLUGIN=/path/to/hostpathplugin uses a binary built elsewhere instead (it is checked with --version),
# for a machine whose module proxy does not serve the module.
#
# Exit codes: 0 built or found; 2 the module cannot be had here (the proxy refused it), with the proxy's answer.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

version=${HOSTPATH_VERSION:-v1.15.0}
module=github.com/kubernetes-csi/csi-driver-host-path
package=$module/cmd/hostpathplugin

if [ -n "${HOSTPATHPLUGIN:-}" ]; then
  if ! "$HOSTPATHPLUGIN" --version >/dev/null 2>&1; then
    echo "get-hostpath-plugin: HOSTPATHPLUGIN=$HOSTPATHPLUGIN does not run ('--version' failed)" >&2
    exit 1
  fi
  echo "$HOSTPATHPLUGIN"
  exit 0
fi

go_bin=${GO:-}
if [ -z "$go_bin" ]; then
  if [ -x /usr/local/go/bin/go ]; then go_bin=/usr/local/go/bin/go; else go_bin=$(command -v go || true); fi
fi
if [ -z "$go_bin" ]; then
  echo "get-hostpath-plugin: no Go toolchain (looked at \$GO, /usr/local/go/bin/go and PATH)" >&2
  exit 1
fi

cache=${ORDINAL_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ordinal-tools}
tools=$repo/.tools
out=$cache/hostpathplugin-$version
mkdir -p "$cache" "$tools"

export GOFLAGS="-trimpath -buildvcs=false -mod=mod"
export GOTOOLCHAIN=local
# As in hack/get-kube-tools.sh: the checksum database is not reachable from every machine; the module proxy is.
export GOSUMDB=${GOSUMDB:-off}

if [ ! -x "$out" ]; then
  answer=$("$go_bin" mod download -json "$module@$version" 2>&1 || true)
  gomod=$(jq -r '.GoMod // empty' <<<"$answer" 2>/dev/null || true)
  if [ -z "$gomod" ]; then
    echo "get-hostpath-plugin: the Go module proxy does not serve $module@$version, so the reference driver" >&2
    echo "  cannot be built on this machine. Its answer: $(jq -r '.Error // empty' <<<"$answer" 2>/dev/null || echo "$answer")" >&2
    echo "  Build hostpathplugin $version where the module is served and pass it as HOSTPATHPLUGIN=/path/to/it." >&2
    exit 2
  fi
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/ordinal-hostpath-build.XXXXXX")
  trap 'rm -rf "$scratch"' EXIT
  echo "get-hostpath-plugin: building hostpathplugin $version from $module" >&2
  (cd "$scratch" && "$go_bin" mod init ordinal.dev/hostpath-build >/dev/null 2>&1 \
    && "$go_bin" mod edit -go=1.26.0 -require="$module@$version")
  # Go ignores a dependency's replace directives: carry the module's own (versioned ones only) into the build module.
  while IFS=$'\t' read -r old new newver; do
    if [ -n "$newver" ]; then (cd "$scratch" && "$go_bin" mod edit -replace="$old=$new@$newver"); fi
  done < <("$go_bin" mod edit -json "$gomod" | jq -r '.Replace // [] | .[] | [.Old.Path, .New.Path, (.New.Version // "")] | @tsv')
  (cd "$scratch" && "$go_bin" build -p 2 -ldflags="-s -w -X main.version=$version" -o "$out.partial" "$package")
  mv "$out.partial" "$out"
fi
ln -sfn "$out" "$tools/hostpathplugin-$version"
ln -sfn "hostpathplugin-$version" "$tools/hostpathplugin"
echo "$tools/hostpathplugin-$version"
