"""`python -m factory` runs the CLI."""

from factory.cli import main

main()
