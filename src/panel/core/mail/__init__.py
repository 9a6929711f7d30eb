"""Mail (core feature)."""
