#!/usr/bin/env bash
# ensure-docker-compose.sh installs Debian's docker-compose when it is missing, for
# the test that merges docker-compose.sesame.yml with a Compose file of
# OpenMetadata's shape (`docker-compose config` needs no Docker daemon), and
# python3-yaml, which the test parses Compose's output with. Quiet when there
# is nothing to do; apt's output is shown only when the install fails. Uses
# sudo only when not root. Safe to run again and again.
set -euo pipefail
source "$(dirname "$0")/apt-install.sh"

command -v docker-compose >/dev/null && python3 -c 'import yaml' 2>/dev/null && exit 0
apt_install ensure-docker-compose docker-compose python3-yaml
command -v docker-compose >/dev/null || { printf 'ensure-docker-compose: error: docker-compose installed but not on PATH\n' >&2; exit 1; }
