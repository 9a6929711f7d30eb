"""Core feature: quotes: staff offers a client accepts."""
