#!/usr/bin/env bash
# Runs every check CI runs, in order:
#   1. set-up: system packages (PostgreSQL, Python venv) when missing, a running
#      PostgreSQL cluster with a test role, a Python venv with real CloudStack clients,
#      the KVM host set-up (QEMU, qemu-utils, libvirt, iproute2: scripts/setup-kvm-host.sh)
#   2. cargo fmt --check
#   3. cargo clippy -D warnings (also with the `kvm` feature)
#   4. cargo test --workspace (SQLite; template downloads from network namespaces)
#   5. cargo test -p strato --test api (PostgreSQL)
#   6. cargo test -p strato-hypervisor-kvm --features kvm (real guests under libvirt)
#   7. cargo test -p strato --features kvm --test kvm (the server driving a real KVM
#      agent: quickstart --kvm, VM lifecycle, agent restart, errors)
# Exits non-zero as soon as one stage fails.
#
# PostgreSQL is the Debian cluster VERSION/main (newest installed version), created and
# started with pg_createcluster/pg_ctlcluster when needed (no systemd), and stopped again
# at the end if this script started it. Tests log in over TCP as role strato_test.
#
# Knobs: STRATO_TEST_PG_URL=postgres://USER:PASS@HOST:PORT/postgres uses that server
# instead of setting one up; STRATO_PG_CLUSTER=NAME uses another Debian cluster than
# `main`; STRATO_PYTHON=/path/python uses that Python (it must have the packages of
# tests/compat/requirements.txt).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

STAGE=""
STAGE_START=0
SUMMARY=()

banner() {
    echo
    echo "=================================================================="
    echo "== $*"
    echo "=================================================================="
}

begin() {
    STAGE=$1
    STAGE_START=$SECONDS
    banner "$STAGE"
}

finish() {
    SUMMARY+=("$(printf '%-58s %4ss' "$STAGE" $((SECONDS - STAGE_START)))")
    STAGE=""
}

on_exit() {
    local rc=$?
    if [ ${#SUMMARY[@]} -gt 0 ] || [ -n "$STAGE" ]; then
        banner "summary"
        local line
        for line in "${SUMMARY[@]}"; do echo "  ok    $line"; done
        if [ "$rc" -ne 0 ] && [ -n "$STAGE" ]; then
            echo "  FAIL  $(printf '%-58s %4ss' "$STAGE" $((SECONDS - STAGE_START)))"
        fi
        echo "  total ${SECONDS}s"
    fi
    stop_postgres
    if [ "$rc" -ne 0 ]; then
        echo "scripts/test.sh: FAILED${STAGE:+ in stage: $STAGE}" >&2
    else
        echo "scripts/test.sh: all checks passed"
    fi
    exit "$rc"
}

# --- privileges --------------------------------------------------------------------

SUDO=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
fi

as_root() {
    "${SUDO[@]}" "$@"
}

# Runs a command as the postgres OS user (peer authentication on the local socket).
as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    elif [ "$(id -un)" = postgres ]; then
        "$@"
    else
        sudo -u postgres "$@"
    fi
}

APT_UPDATED=0
apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "apt-get not found: install $* yourself" >&2
        return 1
    fi
    if [ "$APT_UPDATED" -eq 0 ]; then
        as_root apt-get update -q
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# --- PostgreSQL ----------------------------------------------------------------------

PG_ROLE=strato_test
PG_PASSWORD=strato_test
PG_CLUSTER=${STRATO_PG_CLUSTER:-main}
PG_VERSION=""
PG_PORT=""
PG_STARTED_BY_US=0

pg_binaries_present() {
    command -v pg_ctlcluster >/dev/null 2>&1 &&
        compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null
}

# One field of `pg_lsclusters` for our cluster: 3 = port, 4 = status.
pg_cluster_field() {
    pg_lsclusters -h 2>/dev/null |
        awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" -v f="$1" '$1 == v && $2 == c { print $f }'
}

setup_postgres() {
    if ! pg_binaries_present; then
        echo "PostgreSQL server not installed: installing it"
        apt_install postgresql
    fi
    PG_VERSION=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | tail -1)
    if [ -z "$(pg_cluster_field 2)" ]; then
        echo "creating cluster $PG_VERSION/$PG_CLUSTER"
        as_root pg_createcluster "$PG_VERSION" "$PG_CLUSTER"
    fi
    if [ "$(pg_cluster_field 4)" != online ]; then
        echo "starting cluster $PG_VERSION/$PG_CLUSTER (pg_ctlcluster, no systemd needed)"
        as_root pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start
        PG_STARTED_BY_US=1
    else
        echo "cluster $PG_VERSION/$PG_CLUSTER already running"
    fi
    PG_PORT=$(pg_cluster_field 3)
    local tries=30
    until pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || [ "$tries" -eq 0 ]; do
        sleep 1
        tries=$((tries - 1))
    done
    pg_isready -h 127.0.0.1 -p "$PG_PORT"
    as_postgres psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -qX <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
        CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
    ELSE
        ALTER ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
    END IF;
END
\$\$;
SQL
    PG_URL="postgres://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres"
    PGPASSWORD=$PG_PASSWORD psql "$PG_URL" -qtAXc 'SELECT 1' >/dev/null
    echo "PostgreSQL $PG_VERSION on 127.0.0.1:$PG_PORT, role $PG_ROLE (password login over TCP)"
}

# The API tests create one database per test and leave it; drop the ones of our role
# that nobody is connected to (without FORCE, so concurrent runs are left alone).
drop_test_databases() {
    [ -n "$PG_VERSION" ] || return 0
    local db
    for db in $(as_postgres psql -p "$PG_PORT" -qtAX -c \
        "SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
         WHERE r.rolname = '$PG_ROLE' AND datname LIKE 'strato\_test\_%'"); do
        as_postgres psql -p "$PG_PORT" -qtAX -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true
    done
}

stop_postgres() {
    if [ "$PG_STARTED_BY_US" -eq 1 ]; then
        echo "stopping cluster $PG_VERSION/$PG_CLUSTER (started by this script)"
        as_root pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop || true
        PG_STARTED_BY_US=0
    fi
}

# --- Python clients ------------------------------------------------------------------

setup_python() {
    local venv=$ROOT/target/py req=$ROOT/tests/compat/requirements.txt
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
        rm -rf "$venv"
        mkdir -p "$ROOT/target"
        if ! python3 -m venv "$venv" >/dev/null 2>&1; then
            # Debian's python3 needs python3-venv for ensurepip.
            rm -rf "$venv"
            echo "python3 -m venv failed: installing python3-venv"
            apt_install python3-venv
            python3 -m venv "$venv"
        fi
    fi
    if cmp -s "$req" "$venv/.requirements" && "$venv/bin/python" -c 'import cs, libcloud, requests' 2>/dev/null; then
        echo "venv target/py is up to date"
    else
        "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
        cp "$req" "$venv/.requirements"
    fi
    "$venv/bin/python" -m pip list --disable-pip-version-check 2>/dev/null |
        grep -iE '^(cs|apache-libcloud|requests) ' || true
    STRATO_PYTHON=$venv/bin/python
}

# --- Rust toolchain ------------------------------------------------------------------

check_toolchain() {
    if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
        if command -v rustup >/dev/null 2>&1; then
            rustup component add rustfmt clippy
        else
            echo "cargo fmt / cargo clippy missing and no rustup to add them" >&2
            return 1
        fi
    fi
    cargo --version
    rustc --version
}

# --- stages --------------------------------------------------------------------------

trap on_exit EXIT

if [ "${CI:-}" = true ]; then
    export CARGO_INCREMENTAL=0
fi
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-auto}

begin "set-up: toolchain, PostgreSQL, Python clients"
check_toolchain
PG_URL=${STRATO_TEST_PG_URL:-}
if [ -n "$PG_URL" ]; then
    echo "using STRATO_TEST_PG_URL from the environment"
else
    setup_postgres
fi
if [ -n "${STRATO_PYTHON:-}" ]; then
    echo "using STRATO_PYTHON=$STRATO_PYTHON from the environment"
else
    setup_python
fi
export STRATO_PYTHON
export STRATO_REQUIRE_COMPAT=1
# Image tests need qemu-img/qemu-io, ip netns and root; KVM tests need libvirtd. No
# unauthenticated TCP listener on this machine's address: the migration test gives its
# second host (a namespace) its own listener on a veth address.
scripts/setup-kvm-host.sh --no-migration-listener
export STRATO_REQUIRE_KVM=1
unset STRATO_TEST_PG_URL
finish

begin "cargo fmt --all -- --check"
cargo fmt --all -- --check
finish

begin "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p strato-hypervisor-kvm --all-targets --features kvm -- -D warnings
cargo clippy -p strato --all-targets --features kvm -- -D warnings
finish

begin "cargo test --workspace (SQLite)"
cargo test --workspace
finish

begin "cargo test -p strato --test api (PostgreSQL)"
STRATO_TEST_PG_URL=$PG_URL cargo test -p strato --test api
drop_test_databases
finish

begin "cargo test -p strato-hypervisor-kvm --features kvm (real guests)"
cargo test -p strato-hypervisor-kvm --features kvm
finish

begin "cargo test -p strato --features kvm --test kvm (server + KVM agent)"
cargo test -p strato --features kvm --test kvm
finish
