# apt-install.sh is sourced by the ensure-*.sh scripts: apt_install WHO PACKAGE…
# installs Debian packages quietly (apt's output is shown only when the
# install fails), with sudo only when not root. WHO prefixes the messages.

apt_install() {
	local who=$1
	shift
	local sudo=()
	if [[ $EUID -ne 0 ]]; then
		command -v sudo >/dev/null || { printf '%s: error: installing %s needs root (or sudo)\n' "$who" "$*" >&2; return 1; }
		sudo=(sudo)
	fi
	local out
	out=$(mktemp)
	printf '%s: installing Debian'"'"'s %s\n' "$who" "$*" >&2
	if ! { "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq &&
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@"; } >"$out" 2>&1; then
		cat "$out" >&2
		rm -f "$out"
		printf '%s: error: apt-get could not install %s\n' "$who" "$*" >&2
		return 1
	fi
	rm -f "$out"
}
