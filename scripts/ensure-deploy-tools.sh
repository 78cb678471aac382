#!/usr/bin/env bash
# ensure-deploy-tools.sh installs what deploy/deploytest reads deploy/ with:
# Debian's docker-compose (scripts/ensure-docker-compose.sh) and
# systemd-analyze (Debian's systemd package) for the unit file. Quiet when
# there is nothing to do. Safe to run again and again.
set -euo pipefail
source "$(dirname "$0")/apt-install.sh"

bash "$(dirname "$0")/ensure-docker-compose.sh"
command -v systemd-analyze >/dev/null && exit 0
apt_install ensure-deploy-tools systemd
command -v systemd-analyze >/dev/null || { printf 'ensure-deploy-tools: error: systemd installed but systemd-analyze not on PATH\n' >&2; exit 1; }
