"""The dashboard feature (a built-in plugin)."""
