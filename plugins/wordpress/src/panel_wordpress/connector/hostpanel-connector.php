<?php
/**
 * Plugin Name: hostpanel connector
 * Description: Lets the hosting panel read what this site runs, update it with a rollback
 *   when an update breaks the site, install plugins and themes, and manage users.
 *   Requests authenticate as a WordPress user (application password); each route checks
 *   that user's capabilities. Works as a must-use plugin (wp-content/mu-plugins/) or as
 *   a normal plugin.
 * Version: 1.2.0
 * Requires at least: 5.7
 * Requires PHP: 7.0
 *
 *   GET  /wp-json/hostpanel/v1/inventory            versions, plugins, themes, pending updates
 *   GET  /wp-json/hostpanel/v1/inventory?refresh=1  the same after asking wordpress.org again
 *   POST /wp-json/hostpanel/v1/update               {kind, slug}: keep the files, update, check
 *                                                   the site over loopback, restore on a failed check
 *                                                   (plugins, themes and WordPress itself)
 *   POST /wp-json/hostpanel/v1/self-update          a newer connector in the multipart field
 *                                                   "connector": replaces this file
 *   POST /wp-json/hostpanel/v1/install              {kind, slug} from wordpress.org, or a zip in
 *                                                   the multipart field "package"; activate=1
 *   POST /wp-json/hostpanel/v1/theme                {stylesheet}: switch, check, switch back on failure
 *   POST /wp-json/hostpanel/v1/users                {username, email, role}: WordPress mails the link
 *                                                   to set a password
 *   POST /wp-json/hostpanel/v1/users/<id>/reset     WordPress's own password reset email
 *
 * Every change answers 200 with a JSON "status"; an HTTP error means the request itself
 * failed. The update runs in one request on purpose: a plugin whose new version fatals
 * makes every later request answer 500, the restore route included, so the request that
 * updated is the one that checks the site and puts the kept files back.
 */

if ( ! defined( 'ABSPATH' ) || defined( 'HOSTPANEL_CONNECTOR_VERSION' ) ) {
	return; // not inside WordPress, or already loaded (must-use and normal copy both present)
}
define( 'HOSTPANEL_CONNECTOR_VERSION', '1.2.0' );

add_action(
	'rest_api_init',
	function () {
		$can_update = function () {
			return current_user_can( 'update_plugins' ) || current_user_can( 'update_themes' ) || current_user_can( 'update_core' );
		};
		register_rest_route(
			'hostpanel/v1',
			'/inventory',
			array(
				'methods'             => 'GET',
				'callback'            => 'hostpanel_connector_inventory',
				'permission_callback' => $can_update,
				'args'                => array(
					'refresh' => array(
						'type'    => 'boolean',
						'default' => false,
					),
				),
			)
		);
		register_rest_route(
			'hostpanel/v1',
			'/update',
			array(
				'methods'             => 'POST',
				'callback'            => 'hostpanel_connector_update',
				'permission_callback' => function ( $request ) {
					$caps = array(
						'plugin' => 'update_plugins',
						'theme'  => 'update_themes',
						'core'   => 'update_core',
					);
					return isset( $caps[ $request['kind'] ] ) && current_user_can( $caps[ $request['kind'] ] );
				},
			)
		);
		register_rest_route(
			'hostpanel/v1',
			'/self-update',
			array(
				'methods'             => 'POST',
				'callback'            => 'hostpanel_connector_self_update',
				'permission_callback' => function () {
					return current_user_can( 'update_plugins' );
				},
			)
		);
		register_rest_route(
			'hostpanel/v1',
			'/install',
			array(
				'methods'             => 'POST',
				'callback'            => 'hostpanel_connector_install',
				'permission_callback' => function ( $request ) {
					return current_user_can( 'theme' === $request['kind'] ? 'install_themes' : 'install_plugins' );
				},
			)
		);
		register_rest_route(
			'hostpanel/v1',
			'/theme',
			array(
				'methods'             => 'POST',
				'callback'            => 'hostpanel_connector_switch_theme',
				'permission_callback' => function () {
					return current_user_can( 'switch_themes' );
				},
			)
		);
		register_rest_route(
			'hostpanel/v1',
			'/users',
			array(
				'methods'             => 'POST',
				'callback'            => 'hostpanel_connector_create_user',
				'permission_callback' => function () {
					return current_user_can( 'create_users' );
				},
			)
		);
		register_rest_route(
			'hostpanel/v1',
			'/users/(?P<id>\d+)/reset',
			array(
				'methods'             => 'POST',
				'callback'            => 'hostpanel_connector_reset_password',
				'permission_callback' => function ( $request ) {
					return current_user_can( 'edit_user', (int) $request['id'] );
				},
			)
		);
	}
);

/**
 * What the site runs and which updates wait for it.
 *
 * @param WP_REST_Request $request The request; `refresh` asks wordpress.org before answering.
 * @return array
 */
function hostpanel_connector_inventory( WP_REST_Request $request ) {
	require_once ABSPATH . 'wp-admin/includes/admin.php'; // plugin, theme and update helpers
	if ( $request['refresh'] ) {
		wp_version_check( array(), true );
		delete_site_transient( 'update_plugins' );
		wp_update_plugins();
		delete_site_transient( 'update_themes' );
		wp_update_themes();
	}
	global $wpdb;

	$core = null;
	foreach ( (array) get_core_updates() as $offer ) {
		if ( isset( $offer->response ) && 'upgrade' === $offer->response ) {
			$core = array(
				'version' => $offer->current,
				'locale'  => $offer->locale,
			);
			break;
		}
	}

	$plugin_updates = get_site_transient( 'update_plugins' );
	$plugins        = array();
	foreach ( get_plugins() as $file => $data ) {
		$offer     = isset( $plugin_updates->response[ $file ] ) ? $plugin_updates->response[ $file ] : null;
		$plugins[] = array(
			'file'        => $file,
			'name'        => $data['Name'],
			'version'     => $data['Version'],
			'active'      => is_plugin_active( $file ),
			'new_version' => $offer ? $offer->new_version : '',
		);
	}

	$theme_updates = get_site_transient( 'update_themes' );
	$active        = get_stylesheet();
	$themes        = array();
	foreach ( wp_get_themes() as $stylesheet => $theme ) {
		$offer    = isset( $theme_updates->response[ $stylesheet ] ) ? $theme_updates->response[ $stylesheet ] : null;
		$themes[] = array(
			'stylesheet'  => $stylesheet,
			'name'        => $theme->get( 'Name' ),
			'version'     => $theme->get( 'Version' ),
			'active'      => $stylesheet === $active,
			'new_version' => $offer ? $offer['new_version'] : '',
		);
	}

	return array(
		'connector_version' => HOSTPANEL_CONNECTOR_VERSION,
		'name'              => get_bloginfo( 'name' ),
		'wp_version'        => get_bloginfo( 'version' ),
		'php_version'       => PHP_VERSION,
		'db_version'        => $wpdb->db_server_info(),
		'core_update'       => $core,
		'plugins'           => $plugins,
		'themes'            => $themes,
	);
}

/**
 * Load the upgraders and refuse when WordPress could not write files without asking for FTP credentials.
 *
 * @return true|WP_Error
 */
function hostpanel_connector_prepare_files() {
	require_once ABSPATH . 'wp-admin/includes/admin.php';
	require_once ABSPATH . 'wp-admin/includes/class-wp-upgrader.php';
	require_once ABSPATH . 'wp-admin/includes/plugin-install.php'; // plugins_api()
	if ( 'direct' !== get_filesystem_method() || ! WP_Filesystem() ) {
		return new WP_Error( 'hostpanel_no_direct_files', 'WordPress cannot write its own files here (it would ask for FTP credentials).', array( 'status' => 409 ) );
	}
	return true;
}

/**
 * Ask the site for its home page and REST index over loopback, as a visitor would.
 *
 * @return array {ok: bool, problem: string}
 */
function hostpanel_connector_site_check() {
	$args   = array(
		'timeout'     => 20,
		'redirection' => 3,
		'sslverify'   => apply_filters( 'https_local_ssl_verify', false ),
		'headers'     => array( 'Cache-Control' => 'no-cache' ),
	);
	$checks = array(
		'home page' => add_query_arg( 'hostpanel-check', wp_rand(), home_url( '/' ) ),
		'REST API'  => add_query_arg( 'hostpanel-check', wp_rand(), rest_url( '/' ) ),
	);
	foreach ( $checks as $what => $url ) {
		$answer = wp_remote_get( $url, $args );
		if ( is_wp_error( $answer ) ) {
			return array(
				'ok'      => false,
				'problem' => "the $what did not answer: " . $answer->get_error_message(),
			);
		}
		$code = (int) wp_remote_retrieve_response_code( $answer );
		$body = (string) wp_remote_retrieve_body( $answer );
		if ( 200 !== $code ) {
			return array(
				'ok'      => false,
				'problem' => "the $what answered HTTP $code",
			);
		}
		foreach ( array( 'There has been a critical error', 'Fatal error:', 'Parse error:' ) as $sign ) {
			if ( false !== stripos( $body, $sign ) ) {
				return array(
					'ok'      => false,
					'problem' => "the $what shows a PHP error ($sign)",
				);
			}
		}
	}
	return array(
		'ok'      => true,
		'problem' => '',
	);
}

/**
 * Copy a file or a folder recursively.
 *
 * @param string $from Source.
 * @param string $to   Target (must not exist).
 * @return bool
 */
function hostpanel_connector_copy( $from, $to ) {
	if ( is_file( $from ) ) {
		return wp_mkdir_p( dirname( $to ) ) && copy( $from, $to );
	}
	if ( ! wp_mkdir_p( $to ) ) {
		return false;
	}
	$items = new RecursiveIteratorIterator(
		new RecursiveDirectoryIterator( $from, FilesystemIterator::SKIP_DOTS ),
		RecursiveIteratorIterator::SELF_FIRST
	);
	foreach ( $items as $item ) {
		$target = $to . '/' . substr( $item->getPathname(), strlen( $from ) + 1 );
		if ( $item->isDir() ) {
			if ( ! wp_mkdir_p( $target ) ) {
				return false;
			}
		} elseif ( ! copy( $item->getPathname(), $target ) ) {
			return false;
		}
	}
	return true;
}

/**
 * Delete a file or a folder recursively (missing is fine).
 *
 * @param string $path What to delete.
 */
function hostpanel_connector_remove( $path ) {
	if ( is_file( $path ) || is_link( $path ) ) {
		unlink( $path );
		return;
	}
	if ( ! is_dir( $path ) ) {
		return;
	}
	$items = new RecursiveIteratorIterator(
		new RecursiveDirectoryIterator( $path, FilesystemIterator::SKIP_DOTS ),
		RecursiveIteratorIterator::CHILD_FIRST
	);
	foreach ( $items as $item ) {
		$item->isDir() ? rmdir( $item->getPathname() ) : unlink( $item->getPathname() );
	}
	rmdir( $path );
}

/**
 * Where the kept copy of an item lives: wp-content/hostpanel-backups/<kind>/<folder>.
 *
 * @param string $kind plugin or theme.
 * @param string $name The plugin's folder (or single file) or the theme's folder.
 * @return string
 */
function hostpanel_connector_backup_path( $kind, $name ) {
	$root = WP_CONTENT_DIR . '/hostpanel-backups';
	if ( ! is_dir( $root ) ) {
		wp_mkdir_p( $root );
		file_put_contents( $root . '/index.php', "<?php // Silence is golden.\n" );
		file_put_contents( $root . '/.htaccess', "<IfModule mod_authz_core.c>\nRequire all denied\n</IfModule>\n<IfModule !mod_authz_core.c>\nDeny from all\n</IfModule>\n" );
	}
	return $root . '/' . $kind . '/' . $name;
}

/**
 * Where an item's files are on disk: the plugin's folder (or its single file) or the theme's folder.
 *
 * @param string $kind plugin or theme.
 * @param string $slug The plugin file (dir/file.php) or the theme's stylesheet.
 * @return string
 */
function hostpanel_connector_item_path( $kind, $slug ) {
	if ( 'theme' === $kind ) {
		return get_theme_root( $slug ) . '/' . $slug;
	}
	$folder = dirname( $slug );
	return WP_PLUGIN_DIR . '/' . ( '.' === $folder ? $slug : $folder );
}

/**
 * The installed version of a plugin or theme ('' when it is not installed).
 *
 * @param string $kind plugin or theme.
 * @param string $slug The plugin file or the theme's stylesheet.
 * @return string
 */
function hostpanel_connector_version_of( $kind, $slug ) {
	if ( 'theme' === $kind ) {
		wp_clean_themes_cache();
		$theme = wp_get_theme( $slug );
		return $theme->exists() ? (string) $theme->get( 'Version' ) : '';
	}
	wp_clean_plugins_cache( false );
	$file = WP_PLUGIN_DIR . '/' . $slug;
	if ( ! is_file( $file ) ) {
		return '';
	}
	$data = get_plugin_data( $file, false, false );
	return (string) $data['Version'];
}

/**
 * Update one plugin, theme or WordPress itself, then check the site; restore the kept files when the check fails.
 *
 * Answers {status, from, to, message, check}: status "updated", "current" (nothing offered),
 * "rolled_back" (the update broke the site; the kept files are back), "failed" (the update
 * did not install; nothing changed) or "broken" (the check failed and the restore did not help).
 *
 * @param WP_REST_Request $request kind (plugin|theme|core) and slug (plugin file, stylesheet, or "wordpress").
 * @return array|WP_Error
 */
function hostpanel_connector_update( WP_REST_Request $request ) {
	$ready = hostpanel_connector_prepare_files();
	if ( is_wp_error( $ready ) ) {
		return $ready;
	}
	$kind = (string) $request['kind'];
	$slug = (string) $request['slug'];
	if ( 'core' === $kind ) {
		return hostpanel_connector_update_core();
	}
	if ( '' === $slug || false !== strpos( $slug, '..' ) ) {
		return new WP_Error( 'hostpanel_bad_slug', 'Name a plugin file or a theme.', array( 'status' => 400 ) );
	}
	$from = hostpanel_connector_version_of( $kind, $slug );
	if ( '' === $from ) {
		return new WP_Error( 'hostpanel_not_installed', "$slug is not installed on this site.", array( 'status' => 404 ) );
	}

	// Make sure WordPress knows the offer (and its package) before asking its upgrader.
	$transient = 'theme' === $kind ? 'update_themes' : 'update_plugins';
	$offers    = get_site_transient( $transient );
	if ( ! isset( $offers->response[ $slug ] ) ) {
		delete_site_transient( $transient );
		'theme' === $kind ? wp_update_themes() : wp_update_plugins();
		$offers = get_site_transient( $transient );
	}
	if ( ! isset( $offers->response[ $slug ] ) ) {
		return array(
			'status'  => 'current',
			'from'    => $from,
			'to'      => $from,
			'message' => 'No update is offered: it is up to date.',
		);
	}

	$before = hostpanel_connector_site_check();
	$path   = hostpanel_connector_item_path( $kind, $slug );
	$backup = hostpanel_connector_backup_path( $kind, basename( $path ) );
	hostpanel_connector_remove( $backup ); // one kept copy per item: the one before the latest update
	if ( ! hostpanel_connector_copy( $path, $backup ) ) {
		hostpanel_connector_remove( $backup );
		return array(
			'status'  => 'failed',
			'from'    => $from,
			'to'      => $from,
			'message' => 'Its files could not be copied aside, so it was not updated.',
		);
	}

	$skin     = new WP_Ajax_Upgrader_Skin();
	$upgrader = 'theme' === $kind ? new Theme_Upgrader( $skin ) : new Plugin_Upgrader( $skin );
	$results  = $upgrader->bulk_upgrade( array( $slug ) ); // keeps an active plugin active, unlike upgrade()
	$result   = isset( $results[ $slug ] ) ? $results[ $slug ] : false;
	$to       = hostpanel_connector_version_of( $kind, $slug );
	if ( ! $result || is_wp_error( $result ) ) {
		$message = is_wp_error( $result ) ? $result->get_error_message() : (string) $skin->get_error_messages();
		if ( $to !== $from || '' === $to ) { // half installed: put the kept files back
			hostpanel_connector_restore( $path, $backup );
		}
		return array(
			'status'  => 'failed',
			'from'    => $from,
			'to'      => hostpanel_connector_version_of( $kind, $slug ),
			'message' => 'WordPress could not update it: ' . ( $message ? wp_strip_all_tags( $message ) : 'no reason given' ),
		);
	}

	$after = hostpanel_connector_site_check();
	if ( $after['ok'] || ! $before['ok'] ) {
		return array(
			'status'  => 'updated',
			'from'    => $from,
			'to'      => $to,
			'message' => $after['ok'] ? 'Updated; the site answers.' : 'Updated, but the site could not be checked: ' . $after['problem'] . ' (it did not answer before the update either).',
			'check'   => $after,
		);
	}

	hostpanel_connector_restore( $path, $backup );
	$again = hostpanel_connector_site_check();
	return array(
		'status'  => $again['ok'] ? 'rolled_back' : 'broken',
		'from'    => $from,
		'to'      => hostpanel_connector_version_of( $kind, $slug ),
		'tried'   => $to,
		'message' => $again['ok']
			? "Version $to broke the site (" . $after['problem'] . "); version $from is back and the site answers again."
			: "Version $to broke the site (" . $after['problem'] . "); version $from was put back, but the site still fails: " . $again['problem'] . '.',
		'check'   => $again,
	);
}

/**
 * Put the kept copy of an item back in place of what is there now.
 *
 * @param string $path   Where the item lives.
 * @param string $backup Its kept copy.
 */
function hostpanel_connector_restore( $path, $backup ) {
	if ( ! file_exists( $backup ) ) {
		return;
	}
	hostpanel_connector_remove( $path );
	hostpanel_connector_copy( $backup, $path );
	if ( function_exists( 'opcache_reset' ) ) {
		opcache_reset(); // the next request must read the old files, not a cached compile of the new ones
	}
	wp_clean_plugins_cache( false );
	wp_clean_themes_cache();
}

/**
 * What a core update replaces: wp-admin, wp-includes and the root PHP files (not wp-config.php, not wp-content).
 *
 * @return string[] Names relative to ABSPATH.
 */
function hostpanel_connector_core_items() {
	$items = array( 'wp-admin', 'wp-includes' );
	foreach ( (array) glob( ABSPATH . '*.php' ) as $file ) {
		if ( 'wp-config.php' !== basename( $file ) ) {
			$items[] = basename( $file );
		}
	}
	return $items;
}

/**
 * The bytes a set of files and folders takes on disk.
 *
 * @param string[] $paths Files or folders.
 * @return int
 */
function hostpanel_connector_size( $paths ) {
	$bytes = 0;
	foreach ( $paths as $path ) {
		if ( is_file( $path ) ) {
			$bytes += (int) filesize( $path );
			continue;
		}
		if ( ! is_dir( $path ) ) {
			continue;
		}
		foreach ( new RecursiveIteratorIterator( new RecursiveDirectoryIterator( $path, FilesystemIterator::SKIP_DOTS ) ) as $item ) {
			$bytes += $item->isFile() ? (int) $item->getSize() : 0;
		}
	}
	return $bytes;
}

/**
 * Copy the core files aside to wp-content/hostpanel-backups/core (plain copies, no archive: quicker, no zip needed).
 *
 * @param string $backup Where to keep them.
 * @return true|string True, or why they could not be kept.
 */
function hostpanel_connector_keep_core( $backup ) {
	hostpanel_connector_remove( $backup );
	$items = hostpanel_connector_core_items();
	$need  = hostpanel_connector_size(
		array_map(
			function ( $item ) {
				return ABSPATH . $item;
			},
			$items
		)
	);
	$free  = function_exists( 'disk_free_space' ) ? @disk_free_space( WP_CONTENT_DIR ) : false; // phpcs:ignore WordPress.PHP.NoSilencedErrors
	// The copy, and room for the new version to be unpacked next to it.
	if ( false !== $free && $free < 2 * $need + 20 * MB_IN_BYTES ) {
		return sprintf( 'there is not enough free disk space to keep a copy of WordPress (%d MB free, %d MB needed)', (int) ( $free / MB_IN_BYTES ), (int) ( ( 2 * $need ) / MB_IN_BYTES ) + 20 );
	}
	foreach ( $items as $item ) {
		if ( ! hostpanel_connector_copy( ABSPATH . $item, $backup . '/' . $item ) ) {
			hostpanel_connector_remove( $backup );
			return "$item could not be copied aside";
		}
	}
	return true;
}

/**
 * Put the kept core files back: each kept folder replaces the live one, each kept root file is copied over.
 *
 * @param string $backup The kept copy.
 */
function hostpanel_connector_restore_core( $backup ) {
	foreach ( new DirectoryIterator( $backup ) as $item ) {
		if ( $item->isDot() ) {
			continue;
		}
		$name = $item->getFilename();
		if ( $item->isDir() ) {
			hostpanel_connector_remove( ABSPATH . $name );
			hostpanel_connector_copy( $backup . '/' . $name, ABSPATH . $name );
		} else {
			copy( $item->getPathname(), ABSPATH . $name );
		}
	}
	if ( function_exists( 'opcache_reset' ) ) {
		opcache_reset();
	}
	delete_site_transient( 'update_core' );
}

/**
 * The WordPress version written in wp-includes/version.php now (the running request still has the old one loaded).
 *
 * @return string
 */
function hostpanel_connector_core_version_on_disk() {
	$text = (string) file_get_contents( ABSPATH . WPINC . '/version.php' );
	return preg_match( '/\$wp_version\s*=\s*\'([^\']+)\'/', $text, $found ) ? $found[1] : '';
}

/**
 * Update WordPress itself to the version offered, then check the site; put the kept core files back on a failed check.
 *
 * The core files (hostpanel_connector_core_items) are copied to wp-content/hostpanel-backups/core
 * first. The copy is deleted when the update went through or was rolled back (it is the size of
 * WordPress); it stays only when the site is "broken", for the site's owner to copy back by hand.
 *
 * @return array
 */
function hostpanel_connector_update_core() {
	$from = get_bloginfo( 'version' );
	wp_version_check( array(), true );
	$offer = get_preferred_from_update_core();
	if ( ! $offer || ! isset( $offer->response ) || 'upgrade' !== $offer->response ) {
		return array(
			'status'  => 'current',
			'from'    => $from,
			'to'      => $from,
			'message' => 'No update is offered: it is up to date.',
		);
	}
	$before = hostpanel_connector_site_check();
	$backup = hostpanel_connector_backup_path( 'core', 'wordpress' );
	$kept   = hostpanel_connector_keep_core( $backup );
	if ( true !== $kept ) {
		return array(
			'status'  => 'failed',
			'from'    => $from,
			'to'      => $from,
			'message' => "WordPress was not updated: $kept.",
		);
	}
	$skin   = new WP_Ajax_Upgrader_Skin();
	$result = ( new Core_Upgrader( $skin ) )->upgrade( $offer );
	if ( is_wp_error( $result ) || ! $result ) {
		if ( hostpanel_connector_core_version_on_disk() !== $from ) { // half copied: put the kept files back
			hostpanel_connector_restore_core( $backup );
		}
		hostpanel_connector_remove( $backup );
		return array(
			'status'  => 'failed',
			'from'    => $from,
			'to'      => hostpanel_connector_core_version_on_disk(),
			'message' => 'WordPress could not update itself: ' . ( is_wp_error( $result ) ? $result->get_error_message() : 'no reason given' ),
		);
	}
	$to    = (string) $result;
	$after = hostpanel_connector_site_check();
	if ( $after['ok'] || ! $before['ok'] ) {
		hostpanel_connector_remove( $backup );
		return array(
			'status'  => 'updated',
			'from'    => $from,
			'to'      => $to,
			'message' => $after['ok'] ? 'Updated; the site answers.' : 'Updated, but the site could not be checked: ' . $after['problem'] . ' (it did not answer before the update either).',
			'check'   => $after,
		);
	}

	hostpanel_connector_restore_core( $backup );
	$again = hostpanel_connector_site_check();
	if ( $again['ok'] ) {
		hostpanel_connector_remove( $backup );
	}
	return array(
		'status'  => $again['ok'] ? 'rolled_back' : 'broken',
		'from'    => $from,
		'to'      => hostpanel_connector_core_version_on_disk(),
		'tried'   => $to,
		'message' => $again['ok']
			? "WordPress $to broke the site (" . $after['problem'] . "); WordPress $from is back and the site answers again."
			: "WordPress $to broke the site (" . $after['problem'] . "); the files of WordPress $from were put back, but the site still fails: " . $again['problem'] . '. The copy stays in wp-content/hostpanel-backups/core.',
		'check'   => $again,
	);
}

/**
 * The version in a connector file's header ('' when it is not a hostpanel connector).
 *
 * @param string $text The file's text.
 * @return string
 */
function hostpanel_connector_version_in( $text ) {
	if ( 0 !== strpos( $text, '<?php' ) || ! preg_match( '/^\s*\*\s*Plugin Name:\s*hostpanel connector\s*$/mi', $text ) ) {
		return '';
	}
	return preg_match( '/^\s*\*\s*Version:\s*([0-9][0-9.]*)\s*$/mi', $text, $found ) ? $found[1] : '';
}

/**
 * Replace this connector's own file with a newer one (field "connector"), wherever it runs from.
 *
 * The new text is written to a temporary file in the same folder and renamed over this
 * file, so a request that reads it meanwhile sees the old file or the new one, never half
 * of one. Works for a must-use plugin and a normal plugin alike (it is __FILE__ either way).
 * Answers {status: "updated"|"current", from, to, message}; 400 for a file that is not a
 * connector, 409 when the site forbids file changes or the folder is not writable.
 *
 * @param WP_REST_Request $request The multipart upload.
 * @return array|WP_Error
 */
function hostpanel_connector_self_update( WP_REST_Request $request ) {
	$from  = HOSTPANEL_CONNECTOR_VERSION;
	$files = $request->get_file_params();
	if ( empty( $files['connector']['tmp_name'] ) || ! is_uploaded_file( $files['connector']['tmp_name'] ) ) {
		return new WP_Error( 'hostpanel_no_connector', 'Send the new connector in the multipart field "connector".', array( 'status' => 400 ) );
	}
	$text = (string) file_get_contents( $files['connector']['tmp_name'] );
	$to   = hostpanel_connector_version_in( $text );
	if ( '' === $to || false === strpos( $text, "define( 'HOSTPANEL_CONNECTOR_VERSION', '$to' )" ) ) {
		return new WP_Error( 'hostpanel_not_connector', 'This is not a hostpanel connector file.', array( 'status' => 400 ) );
	}
	if ( ! version_compare( $to, $from, '>' ) ) {
		return array(
			'status'  => 'current',
			'from'    => $from,
			'to'      => $from,
			'message' => "Connector $from is already as new as $to.",
		);
	}
	$target = __FILE__;
	$folder = dirname( $target );
	if ( ! wp_is_file_mod_allowed( 'hostpanel_connector_self_update' ) || ! is_writable( $folder ) || ! is_writable( $target ) ) {
		return new WP_Error( 'hostpanel_no_file_changes', 'This site does not allow the connector to change its file.', array( 'status' => 409 ) );
	}
	$temp = $folder . '/.hostpanel-connector-' . wp_generate_password( 12, false ) . '.tmp';
	if ( strlen( $text ) !== file_put_contents( $temp, $text ) ) {
		@unlink( $temp ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		return new WP_Error( 'hostpanel_write_failed', 'The new connector could not be written (disk full?).', array( 'status' => 409 ) );
	}
	$mode = fileperms( $target );
	if ( false !== $mode ) {
		chmod( $temp, $mode & 0777 );
	}
	if ( ! rename( $temp, $target ) ) {
		@unlink( $temp ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		return new WP_Error( 'hostpanel_write_failed', 'The new connector could not replace the old one.', array( 'status' => 409 ) );
	}
	if ( function_exists( 'opcache_invalidate' ) ) {
		opcache_invalidate( $target, true );
	}
	return array(
		'status'  => 'updated',
		'from'    => $from,
		'to'      => $to,
		'message' => "Connector $from was replaced by $to.",
	);
}

/**
 * Install a plugin or theme from wordpress.org (by slug) or from an uploaded zip ("package").
 *
 * Answers {status: "installed"|"exists"|"failed", slug (plugin file or stylesheet), version, active, message}.
 *
 * @param WP_REST_Request $request kind (plugin|theme), slug or a package file, activate.
 * @return array|WP_Error
 */
function hostpanel_connector_install( WP_REST_Request $request ) {
	$ready = hostpanel_connector_prepare_files();
	if ( is_wp_error( $ready ) ) {
		return $ready;
	}
	$is_theme = 'theme' === $request['kind'];
	$files    = $request->get_file_params();
	if ( ! empty( $files['package']['tmp_name'] ) && is_uploaded_file( $files['package']['tmp_name'] ) ) {
		$package = $files['package']['tmp_name']; // a local file is used as it is by the upgrader
	} else {
		$slug = sanitize_key( (string) $request['slug'] );
		if ( '' === $slug ) {
			return new WP_Error( 'hostpanel_no_package', 'Give a wordpress.org slug or a zip in "package".', array( 'status' => 400 ) );
		}
		$info = $is_theme
			? themes_api( 'theme_information', array( 'slug' => $slug, 'fields' => array( 'sections' => false ) ) )
			: plugins_api( 'plugin_information', array( 'slug' => $slug, 'fields' => array( 'sections' => false ) ) );
		if ( is_wp_error( $info ) || empty( $info->download_link ) ) {
			return array(
				'status'  => 'failed',
				'message' => "wordpress.org has no $slug: " . ( is_wp_error( $info ) ? $info->get_error_message() : 'no download' ),
			);
		}
		$package = $info->download_link;
	}
	$skin     = new WP_Ajax_Upgrader_Skin();
	$upgrader = $is_theme ? new Theme_Upgrader( $skin ) : new Plugin_Upgrader( $skin );
	$result   = $upgrader->install( $package );
	if ( ! $result || is_wp_error( $result ) ) {
		$message = is_wp_error( $result ) ? $result->get_error_message() : (string) $skin->get_error_messages();
		$exists  = false !== stripos( $message, 'already exists' );
		return array(
			'status'  => $exists ? 'exists' : 'failed',
			'message' => $exists ? 'It is already installed.' : 'WordPress could not install it: ' . wp_strip_all_tags( $message ),
		);
	}
	if ( $is_theme ) {
		$theme = $upgrader->theme_info();
		$id    = $theme ? $theme->get_stylesheet() : '';
		if ( $id && rest_sanitize_boolean( $request['activate'] ) ) {
			switch_theme( $id );
		}
		return array(
			'status'  => 'installed',
			'slug'    => $id,
			'version' => $id ? hostpanel_connector_version_of( 'theme', $id ) : '',
			'active'  => $id && get_stylesheet() === $id,
			'message' => 'Installed.',
		);
	}
	$id      = (string) $upgrader->plugin_info();
	$message = 'Installed.';
	if ( $id && rest_sanitize_boolean( $request['activate'] ) ) {
		$activated = activate_plugin( $id );
		$message   = is_wp_error( $activated ) ? 'Installed, but not activated: ' . $activated->get_error_message() : 'Installed and activated.';
	}
	return array(
		'status'  => 'installed',
		'slug'    => $id,
		'version' => $id ? hostpanel_connector_version_of( 'plugin', $id ) : '',
		'active'  => $id && is_plugin_active( $id ),
		'message' => $message,
	);
}

/**
 * Switch to another installed theme, check the site, and switch back when the check fails.
 *
 * @param WP_REST_Request $request stylesheet.
 * @return array|WP_Error
 */
function hostpanel_connector_switch_theme( WP_REST_Request $request ) {
	$theme = wp_get_theme( (string) $request['stylesheet'] );
	if ( ! $theme->exists() || ! $theme->is_allowed() ) {
		return new WP_Error( 'hostpanel_no_theme', 'There is no such theme on this site.', array( 'status' => 404 ) );
	}
	$previous = get_stylesheet();
	switch_theme( $theme->get_stylesheet() );
	$check = hostpanel_connector_site_check();
	if ( ! $check['ok'] ) {
		switch_theme( $previous );
		return array(
			'status'  => 'rolled_back',
			'active'  => $previous,
			'message' => 'The theme broke the site (' . $check['problem'] . '); the previous theme is back.',
		);
	}
	return array(
		'status'  => 'switched',
		'active'  => $theme->get_stylesheet(),
		'message' => 'Switched.',
	);
}

/**
 * Create a user with a random password; WordPress emails them the link to choose their own.
 *
 * @param WP_REST_Request $request username, email, role.
 * @return array
 */
function hostpanel_connector_create_user( WP_REST_Request $request ) {
	$login = sanitize_user( (string) $request['username'], true );
	$email = sanitize_email( (string) $request['email'] );
	$role  = (string) $request['role'];
	if ( null === get_role( $role ) ) {
		return array(
			'status'  => 'failed',
			'message' => "This site has no role \"$role\".",
		);
	}
	$existing = get_user_by( 'login', $login );
	if ( $existing && $existing->user_email === $email ) {
		return array(
			'status'  => 'exists',
			'id'      => $existing->ID,
			'message' => 'This user already exists.',
		);
	}
	$id = wp_insert_user(
		array(
			'user_login' => $login,
			'user_email' => $email,
			'user_pass'  => wp_generate_password( 24, true, true ),
			'role'       => $role,
		)
	);
	if ( is_wp_error( $id ) ) {
		return array(
			'status'  => 'failed',
			'message' => wp_strip_all_tags( $id->get_error_message() ),
		);
	}
	wp_new_user_notification( $id, null, 'user' );
	return array(
		'status'  => 'created',
		'id'      => $id,
		'message' => 'Created; WordPress emailed the link to set a password.',
	);
}

/**
 * Send WordPress's own password reset email to a user.
 *
 * @param WP_REST_Request $request id.
 * @return array|WP_Error
 */
function hostpanel_connector_reset_password( WP_REST_Request $request ) {
	$user = get_user_by( 'id', (int) $request['id'] );
	if ( ! $user ) {
		return new WP_Error( 'hostpanel_no_user', 'There is no such user on this site.', array( 'status' => 404 ) );
	}
	$sent = retrieve_password( $user->user_login );
	return array(
		'status'  => true === $sent ? 'sent' : 'failed',
		'message' => true === $sent ? 'WordPress sent the password reset email.' : wp_strip_all_tags( $sent->get_error_message() ),
	);
}
