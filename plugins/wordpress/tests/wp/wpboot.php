<?php
/**
 * Boots WordPress from a document root on the command line, then runs a script in it
 * (what `wp eval-file` does; WP-CLI is not packaged in Debian).
 *
 *   php wpboot.php <docroot> <host:port> <script.php> [args...]
 *
 * The script sees its arguments in $wpboot_args. Env WPBOOT_INSTALLING=1 boots a site
 * that is not installed yet.
 */
if ( $argc < 4 ) {
	fwrite( STDERR, "usage: php wpboot.php <docroot> <host:port> <script.php> [args...]\n" );
	exit( 2 );
}
$wpboot_docroot = rtrim( $argv[1], '/' );
$wpboot_script  = $argv[3];
$wpboot_args    = array_slice( $argv, 4 );

$_SERVER['HTTP_HOST']       = $argv[2];
$_SERVER['SERVER_NAME']     = $argv[2];
$_SERVER['REQUEST_URI']     = '/';
$_SERVER['REQUEST_METHOD']  = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REMOTE_ADDR']     = '127.0.0.1';
if ( getenv( 'WPBOOT_INSTALLING' ) ) {
	define( 'WP_INSTALLING', true );
}
require $wpboot_docroot . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';
require $wpboot_script;
