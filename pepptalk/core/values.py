"""Reading what a button, a form or a command carried: strictly, so nothing odd gets through.

Python's `str.isdigit` says yes to "³" and "١", which `int` then refuses, and `int` refuses a
number of more than 4,300 digits; a row id past the database's integer range fails in the
database. Everything that reads a number from outside reads it here, and gets None for any of
that, so the habit answers calmly instead of breaking.
"""

from __future__ import annotations

# The largest id a database integer column holds (PostgreSQL's integer).
MAX_ID = 2**31 - 1


def whole_number(text: object, *, most: int = MAX_ID) -> int | None:
    """A whole number from 0 to `most` written in ASCII digits, or None for anything else."""
    if not isinstance(text, str) or not (text.isascii() and text.isdigit()):
        return None
    if len(text.lstrip("0")) > len(str(most)):
        return None
    value = int(text)
    return value if value <= most else None
