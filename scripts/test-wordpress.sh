#!/usr/bin/env bash
# Real WordPress sites on loopback for the wordpress plugin's tests: no systemd, no
# WP-CLI, no internet. Debian's WordPress on a private MariaDB (its own data folder,
# a socket, no TCP port), each site served by `php -S`, and a stand-in for
# api.wordpress.org that offers the updates listed in the plugin's test catalogue.
#
#   scripts/test-wordpress.sh up       # start (or keep) the database, the stand-in and the sites
#   scripts/test-wordpress.sh down     # stop the sites and the stand-in of this set
#   scripts/test-wordpress.sh stop-db  # stop the private MariaDB (when no set uses it any more)
#
# Idempotent: `up` only does what is missing; with WPT_FRESH=1 it also reinstalls every
# site (empty database, stock plugins) so a test session starts from a known state.
# It installs no packages: when one is missing it prints the apt-get line and exits 3.
#
# Environment:
#   WPT_BASE   folder of everything (default ${TMPDIR:-/tmp}/hostpanel-wp); the database
#              lives in $WPT_BASE/db and is shared by every set
#   WPT_SET    name of this set of sites (default "default"; tests use one per pytest worker)
#   WPT_SITES  "name:port ..." (default "site1:8081 site2:8082"); URL http://127.0.0.1:<port>
#   WPT_API_PORT  port of the update stand-in (default 8090)
# Output: $WPT_BASE/$WPT_SET/creds/<name>.json per site (URL, admin login, an application password).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WP="$HERE/plugins/wordpress/tests/wp"
BASE="${WPT_BASE:-${TMPDIR:-/tmp}/hostpanel-wp}"
SET="${WPT_SET:-default}"
SITES="${WPT_SITES:-site1:8081 site2:8082}"
API_PORT="${WPT_API_PORT:-8090}"
DB="$BASE/db"
SOCK="$DB/mysqld.sock"
ROOT="$BASE/$SET"
RUN="$ROOT/run"
ADMIN_USER=admin
ADMIN_PASS=admin-pass-123
PACKAGES="wordpress wordpress-theme-twentytwentythree wordpress-theme-twentytwentyone php-cli php-mysql php-curl php-xml php-mbstring php-zip php-gd mariadb-server mariadb-client zip"

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# setsid: each server leads its own process group, so `down` stops php -S *and* its workers.
spawn() { local pidfile=$1 log=$2; shift 2; setsid "$@" >"$log" 2>&1 </dev/null & echo $! >"$pidfile"; }
answers() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1" 2>/dev/null; }
sql() { mariadb --no-defaults --socket="$SOCK" -uroot "$@"; }

check_packages() {
  local missing=()
  for cmd in php mariadbd mariadb mariadb-install-db; do
    command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$cmd")
  done
  [ -f /usr/share/wordpress/wp-includes/version.php ] || missing+=(wordpress)
  command -v php >/dev/null 2>&1 && { php -r 'exit(extension_loaded("mysqli") ? 0 : 1);' || missing+=(php-mysql); }
  if [ ${#missing[@]} -gt 0 ]; then
    echo "missing: ${missing[*]}. Install the Debian packages with:" >&2
    echo "  apt-get install -y --no-install-recommends $PACKAGES" >&2
    exit 3
  fi
}

start_db() {
  mkdir -p "$DB"
  exec 9>"$BASE/db.lock"
  flock 9  # several pytest workers may start at once: one of them starts the database
  if ! mariadb-admin --no-defaults --socket="$SOCK" -uroot ping >/dev/null 2>&1; then
    if [ ! -d "$DB/data/mysql" ]; then
      mariadb-install-db --no-defaults --datadir="$DB/data" --user="$(id -un)" \
        --auth-root-authentication-method=socket --skip-test-db >"$DB/install.log" 2>&1
    fi
    spawn "$DB/mariadb.pid" "$DB/mariadb.log" /usr/sbin/mariadbd --no-defaults --datadir="$DB/data" \
      --user="$(id -un)" --skip-networking --socket="$SOCK" --pid-file="$DB/mysqld.pid" \
      --innodb-buffer-pool-size=64M --skip-log-bin
    for _ in $(seq 1 100); do mariadb-admin --no-defaults --socket="$SOCK" -uroot ping >/dev/null 2>&1 && break; sleep 0.1; done
    mariadb-admin --no-defaults --socket="$SOCK" -uroot ping >/dev/null || { cat "$DB/mariadb.log" >&2; exit 1; }
    echo "MariaDB started on $SOCK"
  fi
  flock -u 9
}

start_api() {
  mkdir -p "$ROOT/packages" "$RUN"
  if alive "$RUN/api.pid"; then return; fi
  port_busy "$API_PORT" && { echo "port $API_PORT is already in use" >&2; exit 1; }
  spawn "$RUN/api.pid" "$RUN/api.log" python3 "$WP/update_api.py" --port "$API_PORT" \
    --catalogue "$WP/catalogue.json" --files "$ROOT/packages"
  echo "update stand-in on 127.0.0.1:$API_PORT"
}

write_config() {  # docroot db password host
  local salts
  salts=$(for k in AUTH_KEY SECURE_AUTH_KEY LOGGED_IN_KEY NONCE_KEY AUTH_SALT SECURE_AUTH_SALT LOGGED_IN_SALT NONCE_SALT; do
    echo "define( '$k', '$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')' );"; done)
  cat >"$1/wp-config.php" <<PHP
<?php
define( 'DB_NAME', '$2' );
define( 'DB_USER', '$2' );
define( 'DB_PASSWORD', '$3' );
define( 'DB_HOST', 'localhost:$SOCK' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
$salts
\$table_prefix = 'wp_';
define( 'WP_HOME', 'http://$4' );
define( 'WP_SITEURL', 'http://$4' );
define( 'WP_ENVIRONMENT_TYPE', 'local' );      // application passwords need HTTPS or 'local'
define( 'FS_METHOD', 'direct' );
define( 'AUTOMATIC_UPDATER_DISABLED', true );  // the panel, not WordPress, decides when to update
define( 'DISABLE_WP_CRON', true );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );      // never the internet; loopback stays allowed
define( 'WP_ACCESSIBLE_HOSTS', 'localhost,127.0.0.1' );
define( 'HOSTPANEL_TEST_UPDATE_API', 'http://127.0.0.1:$API_PORT' );
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_LOG', true );
define( 'WP_DEBUG_DISPLAY', false );
if ( ! defined( 'ABSPATH' ) ) { define( 'ABSPATH', __DIR__ . '/' ); }
require_once ABSPATH . 'wp-settings.php';
PHP
}

site_up() {  # name port
  local name=$1 port=$2 doc="$ROOT/sites/$1" host="127.0.0.1:$2"
  local db; db="wp_$(echo -n "${SET}_$name" | tr -c 'a-zA-Z0-9_' '_' | cut -c1-60)"
  local pass; pass="pw_$(echo -n "$db$BASE" | md5sum | cut -c1-16)"
  local fresh="${WPT_FRESH:-0}"
  if [ ! -f "$doc/wp-includes/version.php" ]; then
    mkdir -p "$doc"
    cp -rL /usr/share/wordpress/. "$doc/"  # its own writable copy; -L: Debian links js libraries
    rm -f "$doc/wp-config.php"              # Debian's reads /etc/wordpress/config-<host>.php
    fresh=1
  fi
  if [ "$fresh" = 1 ]; then
    sql -e "DROP DATABASE IF EXISTS \`$db\`"
    rm -rf "$doc/wp-content/plugins" "$doc/wp-content/mu-plugins" "$doc/wp-content/upgrade"
    cp -rL /usr/share/wordpress/wp-content/plugins "$doc/wp-content/plugins"
  fi
  sql -e "CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4;
          CREATE USER IF NOT EXISTS '$db'@'localhost' IDENTIFIED BY '$pass';
          GRANT ALL ON \`$db\`.* TO '$db'@'localhost';"
  mkdir -p "$doc/wp-content/uploads" "$doc/wp-content/mu-plugins" "$ROOT/creds"
  cp "$WP/hostpanel-test-env.php" "$doc/wp-content/mu-plugins/"
  write_config "$doc" "$db" "$pass" "$host"
  if [ "$fresh" = 1 ] || [ ! -f "$ROOT/creds/$name.json" ]; then
    WPBOOT_INSTALLING=1 php "$WP/wpboot.php" "$doc" "$host" "$WP/install-site.php" \
      "Test $name" "$ADMIN_USER" "$ADMIN_PASS" "admin@$name.test" "$ROOT/creds/$name.json" | sed "s/^/$name: /"
  fi
  if alive "$RUN/$name.pid" && [ "$(cat "$RUN/$name.port" 2>/dev/null)" = "$port" ]; then return; fi
  alive "$RUN/$name.pid" && kill -- "-$(cat "$RUN/$name.pid")"
  port_busy "$port" && { echo "port $port is already in use" >&2; exit 1; }
  # workers: WordPress calls itself (loopback health test), which needs a second worker
  spawn "$RUN/$name.pid" "$RUN/$name.log" env PHP_CLI_SERVER_WORKERS=4 php -S "$host" -t "$doc" "$WP/router.php"
  echo "$port" >"$RUN/$name.port"
  for _ in $(seq 1 100); do
    answers "http://$host/wp-json/" && { echo "$name: serving http://$host"; return; }
    alive "$RUN/$name.pid" || break
    sleep 0.1
  done
  cat "$RUN/$name.log" >&2
  exit 1
}

stop() {  # pid files
  local f
  for f in "$@"; do
    [ -e "$f" ] || continue
    alive "$f" && { kill -- "-$(cat "$f")" 2>/dev/null || kill "$(cat "$f")"; }
    rm -f "$f"
  done
}

case "${1:-up}" in
  up)
    check_packages
    mkdir -p "$RUN"
    start_db
    start_api
    for s in $SITES; do site_up "${s%%:*}" "${s##*:}"; done
    ;;
  down)
    stop "$RUN"/*.pid
    ;;
  stop-db)
    stop "$DB/mariadb.pid"
    for _ in $(seq 1 50); do [ -S "$SOCK" ] || break; sleep 0.1; done
    ;;
  *) echo "usage: $0 up|down|stop-db" >&2; exit 2 ;;
esac
