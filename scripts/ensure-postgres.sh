#!/usr/bin/env bash
# ensure-postgres.sh makes sure a PostgreSQL server answers on 127.0.0.1:5432
# with trust authentication for the postgres user, recreates an empty test
# database and prints its URL as the last line of stdout, for
#
#   export SESAME_TEST_DATABASE_URL=$(bash scripts/ensure-postgres.sh)
#
# Everything else goes to stderr. Meant for Debian 12, run as root; safe to
# run again and again. SESAME_TEST_DB_NAME overrides the database name;
# SESAME_TEST_PG_PORT and SESAME_TEST_PG_CLUSTER the port and the Debian
# cluster to start (to test this script without touching the main one).
set -euo pipefail

readonly HOST=127.0.0.1
readonly PORT="${SESAME_TEST_PG_PORT:-5432}"
readonly CLUSTER="${SESAME_TEST_PG_CLUSTER:-main}"
readonly DB="${SESAME_TEST_DB_NAME:-sesame_test}"
readonly WAIT_SECONDS=30

log() { printf 'ensure-postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ "$DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "database name '$DB' must be a plain lower-case identifier"
[[ "$PORT" =~ ^[0-9]+$ ]] || die "port '$PORT' is not a number"
[[ "$CLUSTER" =~ ^[A-Za-z0-9_.-]+$ ]] || die "cluster name '$CLUSTER' is not a plain name"

ready() { command -v pg_isready >/dev/null && pg_isready -q -h "$HOST" -p "$PORT"; }

# pg_isready and psql come with the client package; a server may be running
# (in a container, say) on a machine without them.
port_open() { (exec 9<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

apt_install() {
	[[ $EUID -eq 0 ]] || die "PostgreSQL is missing and installing it needs root"
	log "installing $*"
	apt-get -o DPkg::Lock::Timeout=600 update -q
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q "$@"
}

cluster_version() {
	local v
	v=$(find /etc/postgresql -mindepth 2 -maxdepth 2 -name "$CLUSTER" -type d 2>/dev/null |
		awk -F/ '{print $4}' | sort -V | tail -n 1)
	[[ -n "$v" ]] || die "no cluster under /etc/postgresql/<version>/$CLUSTER"
	printf '%s' "$v"
}

psql_admin() {
	psql -X -q -v ON_ERROR_STOP=1 -w -h "$HOST" -p "$PORT" -U postgres "$@"
}

main() {
	local installed_now=false version conf hba tmp i
	if ! ready; then
		if port_open && ! command -v pg_isready >/dev/null; then
			apt_install postgresql-client
		elif ! command -v pg_ctlcluster >/dev/null || [[ ! -d /etc/postgresql ]]; then
			apt_install postgresql
			installed_now=true
		fi
	fi

	if ! ready; then
		version=$(cluster_version)
		conf=/etc/postgresql/$version/$CLUSTER
		if $installed_now; then
			# A fresh cluster listens on localhost by default; say so explicitly
			# so that a changed default cannot leave the tests without TCP.
			mkdir -p "$conf/conf.d"
			printf "listen_addresses = 'localhost'\nport = %s\n" "$PORT" >"$conf/conf.d/50-sesame-test.conf"
		fi
		if pg_lsclusters --no-header "$version" "$CLUSTER" 2>/dev/null | grep -q online; then
			log "cluster $version/$CLUSTER is online but not answering on $HOST:$PORT; restarting it"
			pg_ctlcluster --skip-systemctl-redirect "$version" "$CLUSTER" restart
		else
			log "starting cluster $version/$CLUSTER"
			pg_ctlcluster --skip-systemctl-redirect "$version" "$CLUSTER" start
		fi
	fi

	for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
		ready && break
		sleep 0.5
	done
	ready || die "PostgreSQL does not answer on $HOST:$PORT after ${WAIT_SECONDS}s"

	# Trust for the postgres user over TCP from this machine only: the tests
	# connect without a password. Only a cluster this script installed gets its
	# authentication changed; anyone else's is left alone.
	if ! psql_admin -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
		$installed_now || die "PostgreSQL on $HOST:$PORT refuses user postgres without a password; allow trust for it from 127.0.0.1/32 and ::1/128 in pg_hba.conf"
		version=$(cluster_version)
		hba=/etc/postgresql/$version/$CLUSTER/pg_hba.conf
		if ! grep -q '# sesame-test' "$hba"; then
			log "allowing trust for postgres from localhost in $hba"
			tmp=$(mktemp)
			{
				echo 'host all postgres 127.0.0.1/32 trust # sesame-test'
				echo 'host all postgres ::1/128 trust # sesame-test'
				cat "$hba"
			} >"$tmp"
			cat "$tmp" >"$hba" # keeps the file's owner and mode
			rm -f "$tmp"
		fi
		pg_ctlcluster --skip-systemctl-redirect "$version" "$CLUSTER" reload
		for ((i = 0; i < 20; i++)); do
			psql_admin -d postgres -c 'SELECT 1' >/dev/null 2>&1 && break
			sleep 0.5
		done
		psql_admin -d postgres -c 'SELECT 1' >/dev/null || die "trust authentication still fails"
	fi

	log "recreating database $DB"
	psql_admin -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
	psql_admin -d postgres -c "CREATE DATABASE $DB"
}

# stdout carries the URL alone. main runs with stdout on stderr, so that no
# child (above all the postmaster, which outlives this script) holds the
# caller's stdout pipe open and keeps $(...) waiting.
main >&2
printf 'postgres://postgres@%s:%s/%s?sslmode=disable\n' "$HOST" "$PORT" "$DB"
