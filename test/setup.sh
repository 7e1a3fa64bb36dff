#!/usr/bin/env bash
# Installs what the tests beyond Node need, idempotently: a real VS Code (test/e2e/setup.sh:
# code-server, Node 24, chromium) and Slurm (test/slurm/setup.sh: slurm-wlm, munge).
set -euo pipefail
cd "$(dirname "$0")"
bash e2e/setup.sh
bash slurm/setup.sh
