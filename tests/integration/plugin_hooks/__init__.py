"""Plugin tests. A package, so its conftest is imported as `plugins.conftest` and never
shadows the root `conftest` module that other tests import helpers from."""
