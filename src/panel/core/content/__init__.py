"""Helpers the content features share (announcements, knowledgebase, downloads, the desk's settings)."""
