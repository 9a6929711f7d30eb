#!/usr/bin/env bash
# Installs the Debian packages that the test suite runs for real: PostgreSQL (the
# production database), Chromium (browser tests), and WordPress with PHP and MariaDB
# (the wordpress plugin's sites). Does nothing when present.
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
wordpress=(wordpress wordpress-theme-twentytwentythree wordpress-theme-twentytwentyone php-cli php-mysql php-curl
  php-xml php-mbstring php-zip php-gd mariadb-server mariadb-client zip)
{ [ -f /usr/share/wordpress/wp-includes/version.php ] && command -v php >/dev/null 2>&1 \
  && [ -x /usr/sbin/mariadbd ] && php -r 'exit(extension_loaded("mysqli") && extension_loaded("zip") ? 0 : 1);'; } \
  || need+=("${wordpress[@]}")
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${need[*]}"
$sudo apt-get update -qq
# --no-install-recommends: WordPress would bring a whole desktop's worth of suggestions
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
