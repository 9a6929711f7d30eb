"""Members (core feature)."""
