"""hostpanel: a plugin-based control panel for hosting providers and resellers."""

__version__ = "0.1.0"
