#!/usr/bin/env bash
# ensure-chromium.sh installs Debian's chromium when /usr/bin/chromium is
# missing, for the browser tests in e2e/. Quiet when there is nothing to do;
# apt's output is shown only when the install fails. Uses sudo only when not
# root. Safe to run again and again.
#
# Only the Debian package: playwright's own browser downloads come from a
# host that machines here (and CI) cannot reach.
set -euo pipefail
source "$(dirname "$0")/apt-install.sh"

readonly BIN=/usr/bin/chromium

[[ -x "$BIN" ]] && exit 0
apt_install ensure-chromium chromium
[[ -x "$BIN" ]] || { printf 'ensure-chromium: error: chromium installed but %s is not there\n' "$BIN" >&2; exit 1; }
