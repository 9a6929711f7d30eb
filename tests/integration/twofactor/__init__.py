"""Two-factor authentication tests."""
