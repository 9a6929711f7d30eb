"""Contacts (core feature)."""
