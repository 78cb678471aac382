#!/bin/sh
# The container image's entrypoint.
#
# With SESAME_DEV=1 it runs the development server, `sesame dev`, for the
# tests of a CI job or a docker-compose file (docs/dev.md): the org file
# mounted at /org.yaml (or at SESAME_DEV_ORG, or given whole in
# SESAME_DEV_ORG_YAML, for CI services that cannot mount files), listening on
# every interface of the container (SESAME_ADDR, default 0.0.0.0:8080) so that
# the other services reach it. It prints its secrets: never for production.
#
# Otherwise it runs sesame with the container's arguments, `serve` by default.
set -eu

if [ "${SESAME_DEV:-}" = 1 ]; then
	org="${SESAME_DEV_ORG:-/org.yaml}"
	if [ -n "${SESAME_DEV_ORG_YAML:-}" ]; then
		org="$(mktemp)"
		printf '%s\n' "$SESAME_DEV_ORG_YAML" >"$org"
	fi
	set -- dev --addr "${SESAME_ADDR:-0.0.0.0:8080}" --i-know "$@"
	if [ -f "$org" ]; then
		set -- "$@" --org "$org"
	fi
	exec sesame "$@"
fi

if [ $# -eq 0 ]; then
	set -- serve
fi
exec sesame "$@"
