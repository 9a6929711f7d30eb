"""Clients (core feature)."""
