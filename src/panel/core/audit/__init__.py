"""Audit (core feature)."""
