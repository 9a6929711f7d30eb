"""Core feature: announcements."""
