#!/usr/bin/env bash
# Copies the files the chart ships from their one source in deploy/ into charts/ordinal/files/: the CRDs
# (deploy/crds/, which `kubectl apply` installs and CustomResourceDefinitionsTest checks) and the alert rules and
# Grafana dashboard (deploy/monitoring/, which promtool and the metrics tests check). Helm cannot read files outside
# the chart, hence copies; ChartSourcesTest fails while a copy differs from its source. Edit deploy/, then run this.
set -euo pipefail
cd "$(dirname "$0")/.."
chart=charts/ordinal/files
rm -rf "$chart/crds" "$chart/monitoring"
mkdir -p "$chart/crds" "$chart/monitoring"
cp deploy/crds/*.yaml "$chart/crds/"
cp deploy/monitoring/rules/ordinal-alerts.rules.yml deploy/monitoring/grafana-dashboard.json "$chart/monitoring/"
echo "copied deploy/crds and deploy/monitoring sources into $chart"
