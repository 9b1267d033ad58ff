#!/bin/sh
# The Prometheus alert rules: promtool's syntax check and their unit tests
# (platform/prometheus/sluice-alerts.test.yml). Skips (77) without promtool.
command -v promtool >/dev/null 2>&1 ||
    { echo "alert-rules: promtool is missing (platform/install-deps extracts it)"; exit 77; }
cd "$1" || exit 1
promtool check rules sluice-alerts.yml && promtool test rules sluice-alerts.test.yml
