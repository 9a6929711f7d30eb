"""Core feature: downloads: files per category."""
