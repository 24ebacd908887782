"""Typed user-facing errors: a message saying what is wrong and a hint saying how to fix it.

The CLI catches only `CspmError`: it prints the two lines and exits non-zero.
Anything else is a bug and shows a traceback only under `--debug`.
"""

from __future__ import annotations


class CspmError(Exception):
    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigError(CspmError):
    """The configuration file or a command-line option is invalid."""


class CredentialsError(CspmError):
    """No usable cloud credentials were found."""


class InventoryError(CspmError):
    """The inventory database cannot be opened, migrated or read."""


class OutputError(CspmError):
    """A report cannot be written where the user asked."""


class NotFoundError(CspmError):
    """A scan, check or other named object does not exist."""
