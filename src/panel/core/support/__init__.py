"""Core feature: support desk: departments, tickets, replies, attachments, email piping."""
