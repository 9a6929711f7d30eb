<?php
/**
 * Plugin Name: hostpanel test environment
 * Description: TEST ONLY. Sends WordPress's requests to api.wordpress.org and
 *   downloads.wordpress.org to the local stand-in named by HOSTPANEL_TEST_UPDATE_API,
 *   and writes every email to wp-content/mail.log (one JSON line each) instead of sending it.
 */

add_filter(
	'pre_wp_mail',
	function ( $sent, $mail ) {
		$line = wp_json_encode(
			array(
				'to'      => (array) $mail['to'],
				'subject' => $mail['subject'],
				'message' => $mail['message'],
			)
		);
		file_put_contents( WP_CONTENT_DIR . '/mail.log', $line . "\n", FILE_APPEND | LOCK_EX );
		return true;
	},
	10,
	2
);

// 'pre_http_request' runs before WP_HTTP_BLOCK_EXTERNAL and reject_unsafe_urls, so the
// version checks, plugins_api() and package downloads all reach the stand-in.
if ( defined( 'HOSTPANEL_TEST_UPDATE_API' ) && HOSTPANEL_TEST_UPDATE_API ) {
	add_filter(
		'pre_http_request',
		function ( $pre, $args, $url ) {
			$parts = wp_parse_url( $url );
			if ( empty( $parts['host'] ) || ! in_array( $parts['host'], array( 'api.wordpress.org', 'downloads.wordpress.org' ), true ) ) {
				return $pre;
			}
			$target = rtrim( HOSTPANEL_TEST_UPDATE_API, '/' ) . '/' . $parts['host']
				. ( isset( $parts['path'] ) ? $parts['path'] : '/' )
				. ( isset( $parts['query'] ) ? '?' . $parts['query'] : '' );
			$args['reject_unsafe_urls'] = false; // the stand-in is on loopback, on its own port
			return wp_remote_request( $target, $args );
		},
		10,
		3
	);
}
