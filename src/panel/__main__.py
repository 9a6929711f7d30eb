"""`python -m panel` is the `panel` command."""

from panel.cli import main

main()
