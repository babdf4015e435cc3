"""Counts in messages and indexes: "1 failure", "2 failures"."""

from __future__ import annotations


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """Return `count` with `noun` in the form the number needs; `plural_form` for irregular nouns."""
    return f"{count} {noun if count == 1 else plural_form or noun + 's'}"
