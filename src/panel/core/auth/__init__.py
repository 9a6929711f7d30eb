"""Sign-in: users, passwords, server-side sessions, API tokens and login limits."""
