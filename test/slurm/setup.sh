#!/usr/bin/env bash
# Installs what the Slurm tests need (Debian's slurm-wlm and munge); test/slurm/cluster.ts starts a
# one-node cluster from them in a temporary folder and stops it after. Idempotent.
set -euo pipefail
missing=()
for p in slurm-wlm munge; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The packages start their own daemons where a service manager runs; the tests use their own.
for s in slurmctld slurmd munge; do (command -v systemctl >/dev/null && systemctl stop "$s" 2>/dev/null) || true; done
