#!/usr/bin/env bash
# ensure-htpasswd.sh installs Debian's apache2-utils when htpasswd is
# missing: the password-import tests make their BCRYPT hashes with it, as a
# team migrating from an Apache or PHP system would have them. openssl and
# python3 (the other hashes' tools) come with the base system and the Go
# toolchain's image. Quiet when there is nothing to do; safe to run again.
set -euo pipefail
source "$(dirname "$0")/apt-install.sh"

command -v htpasswd >/dev/null && exit 0
apt_install ensure-htpasswd apache2-utils
command -v htpasswd >/dev/null || { printf 'ensure-htpasswd: error: apache2-utils installed but htpasswd is not on PATH\n' >&2; exit 1; }
