"""The privacy feature (a built-in plugin)."""
