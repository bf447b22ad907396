#!/usr/bin/env bash
# Runs the unit suite (`pnpm test:unit`) against a real Oracle MySQL server,
# without Docker: Debian unstable's mysql-server-core in a debootstrap chroot
# (the stable release ships only MariaDB; MySQL's binaries need a newer glibc).
#
# The chroot (~800 MB) is made once and cached outside the checkout, in
# $SMS_MYSQL_CHROOT (default /var/cache/sms-mysql-chroot); later runs reuse it.
# Each run starts mysqld on 127.0.0.1:$MYSQL_TEST_PORT (default 3307) with a
# fresh data directory, creates a password user with MySQL's default
# caching_sha2_password plugin, restarts the server so its authentication
# cache is cold (a restarted container or a managed server), and runs the
# suite as that user without TLS: the connection must work with what
# DATABASE_URL's query string gives the driver (allowPublicKeyRetrieval).
#
# Needs root (debootstrap, chroot) and network access for the first run.
# Extra arguments go to tap, e.g. scripts/test-mysql.sh packages/db/test/migrator.test.ts
set -euo pipefail
cd "$(dirname "$0")/.."

CHROOT=${SMS_MYSQL_CHROOT:-/var/cache/sms-mysql-chroot}
PORT=${MYSQL_TEST_PORT:-3307}
SUITE=${SMS_MYSQL_SUITE:-sid}
TEST_USER=sms_ci
TEST_PASSWORD=sms-ci-password

die() {
  echo "test-mysql: $*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || die "must run as root (it makes and enters a chroot)"

# --- The chroot, made once --------------------------------------------------
mkdir -p "$(dirname "$CHROOT")"
exec 9>"$CHROOT.lock"
flock 9 # one run at a time: a second one would also want the port
if [ ! -e "$CHROOT/.sms-ready" ]; then
  started=$(date +%s)
  log="$CHROOT.build.log"
  echo "test-mysql: making the MySQL chroot in $CHROOT (once; about a minute, log in $log)"
  # A separate shell: set -e does not apply inside a `cmd || die` list.
  CHROOT=$CHROOT SUITE=$SUITE bash -euxc '
    if ! command -v debootstrap >/dev/null; then
      apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap
    fi
    rm -rf "$CHROOT.tmp"
    debootstrap --variant=minbase "$SUITE" "$CHROOT.tmp"
    # The Release file of unstable can read as expired against the clock here.
    # (No apostrophes in this block: it is one single-quoted string.)
    chroot "$CHROOT.tmp" apt-get -o Acquire::Check-Valid-Until=false update
    chroot "$CHROOT.tmp" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y --no-install-recommends mysql-server-core mysql-client-core
    chroot "$CHROOT.tmp" apt-get clean
    chroot "$CHROOT.tmp" /usr/sbin/mysqld --version
  ' >"$log" 2>&1 || die "cannot make the MySQL chroot in $CHROOT: $(grep -E '^(E:|W:|debootstrap|chroot)' "$log" | tail -1 || true) (full log: $log)"
  [ -x "$CHROOT.tmp/usr/sbin/mysqld" ] || die "the MySQL chroot in $CHROOT.tmp has no mysqld (full log: $log)"
  touch "$CHROOT.tmp/.sms-ready"
  rm -rf "$CHROOT"
  mv "$CHROOT.tmp" "$CHROOT"
  echo "test-mysql: chroot made in $(($(date +%s) - started)) s"
fi
echo "test-mysql: $(chroot "$CHROOT" /usr/sbin/mysqld --version)"

# --- The server --------------------------------------------------------------
# A fresh data directory per run: no leftovers of an earlier (killed) run, and
# the user below is always created on this run's server. Initialising takes a
# few seconds, far less than the suite.
RUN=/run-sms-test # inside the chroot
rm -rf "${CHROOT:?}$RUN"
mkdir -p "$CHROOT$RUN"
mysqld_args=(
  --no-defaults --user=root --datadir="$RUN/data"
  --port="$PORT" --bind-address=127.0.0.1 --mysqlx=OFF
  --socket="$RUN/mysqld.sock" --pid-file="$RUN/mysqld.pid" --log-error="$RUN/error.log"
  --secure-file-priv= # mysqld aborts without it in this layout
  # Durability is not under test: do not wait for the disk on every commit.
  --innodb-flush-log-at-trx-commit=2 --sync-binlog=0
  --max-connections=500
)
mysql_root() { chroot "$CHROOT" mysql --no-defaults --user=root --socket="$RUN/mysqld.sock" "$@"; }

server_pid=
start_server() {
  chroot "$CHROOT" /usr/sbin/mysqld "${mysqld_args[@]}" &
  server_pid=$!
  for _ in $(seq 1 120); do
    if mysql_root -e 'SELECT 1' >/dev/null 2>&1; then return 0; fi
    kill -0 "$server_pid" 2>/dev/null || die "mysqld exited at start: $(tail -1 "$CHROOT$RUN/error.log" 2>/dev/null)"
    sleep 0.5
  done
  die "mysqld did not answer within 60 s: $(tail -1 "$CHROOT$RUN/error.log" 2>/dev/null)"
}
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
cleanup() {
  stop_server
  rm -rf "${CHROOT:?}$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  die "port $PORT is already in use (set MYSQL_TEST_PORT)"
fi

chroot "$CHROOT" /usr/sbin/mysqld --no-defaults --user=root --datadir="$RUN/data" --initialize-insecure \
  --log-error="$RUN/init.log" || die "mysqld --initialize failed: $(tail -1 "$CHROOT$RUN/init.log")"
start_server

# The suite creates and drops sms_test_* databases and the migrator takes a
# named lock; nothing else. The plugin is MySQL's default, named for clarity.
mysql_root <<SQL
CREATE USER '$TEST_USER'@'%' IDENTIFIED WITH caching_sha2_password BY '$TEST_PASSWORD';
GRANT ALL PRIVILEGES ON \`sms\\_%\`.* TO '$TEST_USER'@'%';
GRANT RELOAD ON *.* TO '$TEST_USER'@'%'; -- FLUSH PRIVILEGES: tests that empty the auth cache
SQL

# Cold authentication cache: what a restarted server gives a client without TLS.
stop_server
start_server

export DATABASE_URL="mysql://$TEST_USER:$TEST_PASSWORD@127.0.0.1:$PORT/sms_settings?allowPublicKeyRetrieval=true"
echo "test-mysql: running the unit suite against $(mysql_root -N -e 'SELECT VERSION()') on 127.0.0.1:$PORT"
started=$(date +%s)
status=0
pnpm exec tap "$@" || status=$?
echo "test-mysql: suite finished in $(($(date +%s) - started)) s with status $status"
# What passes on MySQL but is deprecated there (e.g. VALUES() in ON DUPLICATE
# KEY UPDATE, warning 1287) only shows as a warning: list the statements.
warned=$(mysql_root -N -e "SELECT CONCAT(SUM(SUM_WARNINGS), ' warning(s) in ', SUM(COUNT_STAR), ' run(s): ',
    LEFT(ANY_VALUE(DIGEST_TEXT), 300)) FROM performance_schema.events_statements_summary_by_digest
  WHERE SCHEMA_NAME LIKE 'sms\\_%' AND SUM_WARNINGS > 0 GROUP BY DIGEST ORDER BY SUM(SUM_WARNINGS) DESC" 2>/dev/null || true)
if [ -n "$warned" ]; then
  echo "test-mysql: statements of the suite that MySQL warned about:"
  sed 's/^/  /' <<<"$warned"
fi
exit "$status"
