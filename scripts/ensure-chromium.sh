#!/usr/bin/env bash
# ensure-chromium.sh installs Debian's chromium when /usr/bin/chromium is
# missing, for the browser tests in e2e/. Quiet when there is nothing to do;
# apt's output is shown only when the install fails. Uses sudo only when not
# root. Safe to run again and again.
#
# Only the Debian package: playwright's own browser downloads come from a
# host that machines here (and CI) cannot reach.
set -euo pipefail

readonly BIN=/usr/bin/chromium

log() { printf 'ensure-chromium: %s\n' "$*" >&2; }

[[ -x "$BIN" ]] && exit 0

sudo=()
if [[ $EUID -ne 0 ]]; then
	command -v sudo >/dev/null || { log "error: $BIN is missing and installing it needs root (or sudo)"; exit 1; }
	sudo=(sudo)
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
log "installing Debian's chromium"
if ! { "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq &&
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium; } >"$out" 2>&1; then
	cat "$out" >&2
	log "error: apt-get could not install chromium"
	exit 1
fi
[[ -x "$BIN" ]] || { log "error: chromium installed but $BIN is not there"; exit 1; }
