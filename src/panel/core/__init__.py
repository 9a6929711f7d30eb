"""The core of hostpanel: accounts, sign-in, rules engine, web areas and the CLI."""
