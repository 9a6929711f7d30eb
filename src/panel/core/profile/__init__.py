"""Profile (core feature)."""
