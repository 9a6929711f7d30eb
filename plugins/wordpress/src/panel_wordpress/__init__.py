"""Managed WordPress sites for hostpanel (the `wordpress` plugin).

The plugin itself (`PLUGIN_META` and the hook implementations) is `panel_wordpress.plugin`,
which the `hostpanel.plugins` entry point names.
"""
