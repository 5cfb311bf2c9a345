"""Refuse a component name that is not a Python-style name before anything is written."""

import re
import sys

NAME = "{{ cookiecutter.name }}"
if not re.fullmatch(r"^[a-z][a-z0-9_]{1,62}$", NAME):
    sys.stderr.write(f"component name {NAME!r}: expected lower-case letters, digits and underscores\n")
    sys.exit(1)
