"""The referrals feature (a built-in plugin)."""
