#!/usr/bin/env bash
# terraform-check: the real okta/okta Terraform provider, built from its
# source, driven by OpenTofu against a throw-away Sesame on loopback.
#
#   make terraform-check TF_PROVIDER_OKTA_SRC=/path/to/terraform-provider-okta
#
# It applies e2e/terraform/main.tf (issue 11's "Done when" configuration),
# runs a second `plan -detailed-exitcode` that must find nothing to change,
# then destroys everything and checks that Sesame holds none of it.
#
# Needs: Go, Node (for a free port), and the provider's source, either a
# checkout or a bare git directory (the HEAD commit is used). Without the
# source it skips with a message and exits 0: CI machines have no copy (the
# provider's source is never committed here), and the replay tests in
# internal/app/tfreplay_*_test.go carry the provider's requests in CI.
#
# Built tools are kept outside the repository, in $TF_TOOLS_DIR (default
# ~/.cache/sesame-terraform-check): OpenTofu $TOFU_VERSION from the Go module
# proxy (`go build ./cmd/tofu` inside the downloaded module: `go install`
# refuses it for its replace directives) and the provider, rebuilt when its
# source changes. `tofu init` runs offline from a filesystem mirror.
set -euo pipefail

readonly TOFU_VERSION=${TOFU_VERSION:-v1.12.6}
readonly HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly ROOT=$(cd "$HERE/../.." && pwd)
readonly TOOLS=${TF_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sesame-terraform-check}

log() { printf 'terraform-check: %s\n' "$*" >&2; }

src=${TF_PROVIDER_OKTA_SRC:-}
if [[ -z "$src" || ! -e "$src" ]]; then
	log "SKIPPED: set TF_PROVIDER_OKTA_SRC to a checkout (or git directory) of okta/terraform-provider-okta."
	log "This check builds the real provider from that source, so it runs on a developer's machine only;"
	log "in CI the provider's requests are replayed by internal/app/tfreplay_*_test.go instead."
	exit 0
fi

mkdir -p "$TOOLS/bin"

# OpenTofu.
tofu="$TOOLS/bin/tofu-$TOFU_VERSION"
if [[ ! -x "$tofu" ]]; then
	log "building OpenTofu $TOFU_VERSION (once)"
	dir=$(cd "$TOOLS" && go mod download -json "github.com/opentofu/opentofu@$TOFU_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[[ -d "$dir" ]] || { log "error: could not download github.com/opentofu/opentofu@$TOFU_VERSION"; exit 1; }
	(cd "$dir" && go build -o "$tofu.tmp" ./cmd/tofu) && mv "$tofu.tmp" "$tofu"
fi

# The provider: built once per commit of a git source; a plain directory (or
# a checkout with changes) is rebuilt every time, which Go's build cache
# keeps short.
rev=worktree
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	rev=$(git -C "$src" rev-parse HEAD)
	if [[ "$(git -C "$src" rev-parse --is-bare-repository)" == false && -n "$(git -C "$src" status --porcelain)" ]]; then
		rev=worktree
	fi
fi
provider="$TOOLS/bin/terraform-provider-okta-$rev"
if [[ "$rev" == worktree || ! -x "$provider" ]]; then
	log "building the okta provider from $src ($rev)"
	build=$(mktemp -d)
	if [[ "$(git -C "$src" rev-parse --is-bare-repository 2>/dev/null)" == true ]]; then
		git -C "$src" archive HEAD | tar -x -C "$build"
	else
		cp -a "$src/." "$build/"
	fi
	(cd "$build" && go build -o "$provider.tmp" .) && mv "$provider.tmp" "$provider"
	rm -rf "$build"
fi
# The mirror needs a version; the provider's changelog names the one it is.
version=$( (git -C "$src" show HEAD:CHANGELOG.md 2>/dev/null || cat "$src/CHANGELOG.md") | sed -n 's/^## \([0-9][0-9.]*\) .*/\1/p' | head -1)
version=${version:-6.0.0}

work=$(mktemp -d)
sesame_pid=
cleanup() {
	[[ -n "$sesame_pid" ]] && kill "$sesame_pid" 2>/dev/null && wait "$sesame_pid" 2>/dev/null
	if [[ "${KEEP:-}" == 1 ]]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

mirror="$work/mirror/registry.opentofu.org/okta/okta/$version/linux_amd64"
mkdir -p "$mirror"
cp "$provider" "$mirror/terraform-provider-okta_v$version"
cat >"$work/tofurc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.opentofu.org/okta/okta"]
  }
}
EOF

# A throw-away Sesame.
log "building sesame"
(cd "$ROOT" && go build -o "$work/sesame" ./cmd/sesame)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
url="http://127.0.0.1:$port"
env -u SESAME_DATABASE_URL "$work/sesame" init --data "$work/data" --url "$url" --admin-email admin@example.com \
	--api-token-file "$work/api-token" >"$work/init.log" 2>&1 || { cat "$work/init.log" >&2; exit 1; }
env -u SESAME_DATABASE_URL "$work/sesame" serve --addr "127.0.0.1:$port" --url "$url" --data "$work/data" >"$work/sesame.log" 2>&1 &
sesame_pid=$!
for _ in $(seq 100); do
	curl -fsS "$url/.well-known/openid-configuration" >/dev/null 2>&1 && break
	kill -0 "$sesame_pid" 2>/dev/null || { cat "$work/sesame.log" >&2; exit 1; }
	sleep 0.1
done
"$work/sesame" keys generate --kid bot-key --out-dir "$work/keys" >/dev/null
n=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).keys[0].n)' "$work/keys/bot-key.jwks.public.json")

mkdir "$work/tf"
cp "$HERE/main.tf" "$work/tf/"
export TF_CLI_CONFIG_FILE="$work/tofurc" TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
export TF_VAR_sesame_url="$url" TF_VAR_api_token="$(cat "$work/api-token")" TF_VAR_bot_key_n="$n"
tf() { (cd "$work/tf" && "$tofu" "$@"); }
# TF_CHECK_EXCLUDE: resource addresses left out (space-separated), for a
# resource Sesame does not serve yet; the result then says so.
excl=()
for a in ${TF_CHECK_EXCLUDE:-}; do excl+=("-exclude=$a"); done

fail() {
	log "FAILED: $*"
	log "Sesame's log: $work/sesame.log (run with KEEP=1 to keep it)"
	tail -n 40 "$work/sesame.log" >&2
	exit 1
}

log "tofu init (offline, from the filesystem mirror; provider $version)"
tf init -no-color >"$work/init.out" 2>&1 || { cat "$work/init.out" >&2; fail "init"; }
log "tofu apply"
tf apply -auto-approve -no-color "${excl[@]}" || fail "apply"
log "tofu plan -detailed-exitcode (must find nothing to change)"
set +e
tf plan -detailed-exitcode -no-color "${excl[@]}"
code=$?
set -e
case $code in
0) log "second plan is clean" ;;
2) fail "the second plan wants changes (drift)" ;;
*) fail "plan" ;;
esac
log "tofu destroy"
tf destroy -auto-approve -no-color "${excl[@]}" || fail "destroy"

# Nothing the configuration made is left.
token=$(cat "$work/api-token")
count() { curl -fsS -H "Authorization: SSWS $token" "$url$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).length))'; }
for what in "/api/v1/apps?limit=200" "/api/v1/trustedOrigins?limit=200"; do
	left=$(count "$what")
	[[ "$left" == 0 ]] || fail "$left objects left at $what after destroy"
done
# Only the built-in Everyone group, the default server and the admin remain.
[[ "$(count "/api/v1/groups?limit=200")" == 1 ]] || fail "groups left after destroy"
[[ "$(count "/api/v1/authorizationServers?limit=200")" == 1 ]] || fail "authorization servers left after destroy"
[[ "$(count "/api/v1/users?limit=200")" == 1 ]] || fail "users left after destroy"
log "PASSED: apply, clean second plan, destroy (OpenTofu $TOFU_VERSION, okta provider $version at $rev)${TF_CHECK_EXCLUDE:+, without $TF_CHECK_EXCLUDE}"
