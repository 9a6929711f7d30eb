"""Client-area search (core feature)."""
