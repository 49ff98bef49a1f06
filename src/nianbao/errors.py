"""User-facing errors. Each carries the file it concerns and a one-line Chinese message.

Exit statuses (documented in README.md):
  0  no error-severity finding
  1  at least one error-severity finding
  2  usage error, or an input that cannot be read at all (single-file commands)
"""
from __future__ import annotations


class NianbaoError(Exception):
    """Base of every error shown to a user as one line, never a traceback."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = str(path)
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class InputError(NianbaoError):
    """The file is missing, empty, or of a kind nianbao does not read."""


class UnreadableInput(NianbaoError):
    """The file is a report format but its content cannot be read (scan, encrypted, corrupt)."""


class PackError(NianbaoError):
    """A rule pack cannot be loaded (YAML, schema or expression error)."""
