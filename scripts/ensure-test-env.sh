#!/usr/bin/env bash
# Run first by `npm test`: makes sure of what the tests need on this machine, or stops at once with
# the exact command to run.
#   - Redis on 127.0.0.1:6379 and Postgres on 127.0.0.1:5432 (database `test`, user postgres, trust):
#     started when installed but down;
#   - Debian packages chromium (browser tests), stress-ng (CPU hog beside the fault test) and kubectl
#     (`kubectl kustomize` in the manifest tests).
# Whatever is missing is installed with apt-get when we are root (CI, containers); otherwise the script
# prints the one command to run and exits 1. Nothing is skipped silently: a test that still finds a
# server missing fails in CI (CI=true).
# TEST_ENV_CHECK=0 skips this script (a machine where the servers live elsewhere: set TEST_DATABASE_URL).
set -euo pipefail

if [ "${TEST_ENV_CHECK:-1}" = "0" ]; then
  echo "test env: not checked (TEST_ENV_CHECK=0)"
  exit 0
fi

# Debian package that provides each command.
declare -A PACKAGE=(
  [redis-server]=redis-server
  [redis-cli]=redis-tools
  [pg_ctlcluster]=postgresql
  [pg_isready]=postgresql-client
  [psql]=postgresql-client
  [chromium]=chromium
  [stress-ng]=stress-ng
  [kubectl]=kubectl
)

missing=()
for command in redis-server redis-cli pg_ctlcluster pg_isready psql chromium stress-ng kubectl; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${PACKAGE[$command]}")
done

if [ "${#missing[@]}" -gt 0 ]; then
  # Unique package names, in order.
  packages=$(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++' | tr '\n' ' ')
  install="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${packages% }"
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "test env: installing ${packages% }"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${packages% } >/dev/null
  elif command -v apt-get >/dev/null 2>&1; then
    echo "test env: missing ${packages% }. Run:" >&2
    echo "  sudo sh -c '$install'" >&2
    exit 1
  else
    echo "test env: missing ${packages% } (Debian package names) and no apt-get here: install them, then run npm test again." >&2
    exit 1
  fi
fi

wait_for() { # wait_for <what> <command...>: up to 10 s
  local what=$1
  shift
  for _ in $(seq 1 50); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "test env: $what did not come up" >&2
  return 1
}

as_root() { # runs a command as root (directly, or through sudo without a password), else prints it and fails
  if [ "$(id -u)" = "0" ]; then
    "$@"
  elif sudo -n true >/dev/null 2>&1; then
    sudo -n "$@"
  else
    echo "test env: needs root. Run:" >&2
    echo "  sudo $*" >&2
    return 1
  fi
}

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "test env: starting redis-server on 127.0.0.1:6379 (no persistence)"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  wait_for "redis" redis-cli -h 127.0.0.1 -p 6379 ping
fi

if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  cluster=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$cluster" ]; then
    echo "test env: postgresql is installed but has no cluster. Run:" >&2
    echo "  sudo pg_createcluster --start \$(ls /usr/lib/postgresql | sort -V | tail -n 1) main" >&2
    exit 1
  fi
  echo "test env: starting postgres $cluster/main"
  as_root pg_ctlcluster --skip-systemctl-redirect "$cluster" main start
  wait_for "postgres" pg_isready -h 127.0.0.1 -p 5432
fi

# The tests connect as postgres to database test without a password (TEST_DATABASE_URL overrides).
if [ -z "${TEST_DATABASE_URL:-}" ] && ! psql -h 127.0.0.1 -U postgres -d test -Atc 'select 1' >/dev/null 2>&1; then
  cluster=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba="/etc/postgresql/$cluster/main/pg_hba.conf"
  echo "test env: letting postgres in from 127.0.0.1 without a password (test machine) and creating database test"
  if ! as_root grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
    as_root sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
    as_root pg_ctlcluster --skip-systemctl-redirect "$cluster" main reload
  fi
  psql -h 127.0.0.1 -U postgres -d postgres -Atc "select 1 from pg_database where datname = 'test'" | grep -q 1 ||
    psql -h 127.0.0.1 -U postgres -d postgres -c 'create database test' >/dev/null
  psql -h 127.0.0.1 -U postgres -d test -Atc 'select 1' >/dev/null
fi

echo "test env: redis $(redis-cli -h 127.0.0.1 -p 6379 ping), postgres $(pg_isready -h 127.0.0.1 -p 5432 | sed 's/.*- //')," \
  "$(chromium --version 2>/dev/null | head -n 1), stress-ng $(stress-ng --version 2>&1 | awk '{print $3}')," \
  "kustomize $(kubectl version --client 2>/dev/null | awk '/Kustomize/ {print $3}')"
