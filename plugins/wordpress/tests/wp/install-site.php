<?php
/**
 * Installs a fresh site and writes its credentials as JSON (run through wpboot.php):
 *
 *   install-site.php <title> <admin user> <admin password> <admin email> <credentials.json>
 *
 * The credentials hold an application password named "test-setup", for tests that
 * connect with one; the panel's own connect-with-login creates its own.
 */
list( $title, $admin, $pass, $email, $creds_file ) = $wpboot_args;
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

add_filter( 'pre_wp_mail', '__return_true' ); // no MTA here: drop the welcome mail
if ( ! is_blog_installed() ) {
	wp_install( $title, $admin, $email, true, '', wp_slash( $pass ) );
	update_option( 'permalink_structure', '/%postname%/' );
	wp_insert_user(
		array(
			'user_login' => 'editor1',
			'user_pass'  => wp_generate_password( 24 ),
			'user_email' => 'editor1@example.test',
			'role'       => 'editor',
		)
	);
}
$user = get_user_by( 'login', $admin );
list( $app_pass ) = WP_Application_Passwords::create_new_application_password( $user->ID, array( 'name' => 'test-setup' ) );
$creds = array(
	'url'          => home_url(),
	'admin_user'   => $admin,
	'admin_pass'   => $pass,
	'app_password' => WP_Application_Passwords::chunk_password( $app_pass ),
	'wp_version'   => get_bloginfo( 'version' ),
	'docroot'      => untrailingslashit( ABSPATH ),
);
file_put_contents( $creds_file, wp_json_encode( $creds, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES ) . "\n" );
echo "installed {$creds['url']} (WordPress {$creds['wp_version']})\n";
