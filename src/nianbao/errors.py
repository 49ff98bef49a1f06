"""User-facing errors. Each carries the file it concerns and a one-line Chinese message.

Exit statuses (documented in README.md, set only by `cli.main`):
  0    no error-severity finding
  1    at least one error-severity finding
  2    a failure the user can cause and fix: usage, an input that cannot be read (single-file
       commands), a rule pack that cannot be loaded, an output location that cannot be written,
       a limit set wrongly in the environment; one line on stderr, never a traceback
  3    an internal error (a bug in nianbao): the only case that shows a traceback
  130  interrupted (Ctrl-C)
"""
from __future__ import annotations

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


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


class OutputError(NianbaoError):
    """An output cannot be written where the user asked (unwritable folder, a file in the way, disk full)."""


class ConfigError(NianbaoError):
    """A setting given by the user is malformed (e.g. a NIANBAO_MAX_* limit); `path` names the setting."""
