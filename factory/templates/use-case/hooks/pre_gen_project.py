"""Refuse a name that is not a slug before cookiecutter writes anything."""

import re
import sys

NAME = "{{ cookiecutter.name }}"
if not re.fullmatch(r"^[a-z][a-z0-9-]{0,62}[a-z0-9]$", NAME):
    sys.stderr.write(f"use case name {NAME!r}: expected a slug of lower-case letters, digits and hyphens\n")
    sys.exit(1)
