"""Contact sync: an account's contacts kept in step with its members (`account:contact_sync`)."""
