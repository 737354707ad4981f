#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test: unit, integration
# (real server processes), differential against redis-server 7, hostile input,
# and real clients. CTest labels: unit, integration, cluster, compat, clients.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j2 "$@"
