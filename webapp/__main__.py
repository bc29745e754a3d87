"""`python -m webapp` runs the `seedsearch` command."""

from .cli import main

main()
