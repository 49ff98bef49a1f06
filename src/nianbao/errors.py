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


import errno as _errno

_OS_ERRORS_CN = {
    _errno.EACCES: "没有写入权限", _errno.EPERM: "没有操作权限", _errno.ENOSPC: "磁盘空间不足",
    _errno.EROFS: "位于只读文件系统", _errno.ENOTDIR: "路径中有一部分是文件而不是目录", _errno.EISDIR: "目标是一个目录",
    _errno.ENAMETOOLONG: "文件名过长", _errno.ENOENT: "路径不存在", _errno.EEXIST: "路径中有一部分是文件而不是目录",
    _errno.EDQUOT: "超出磁盘配额",
}


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


def describe_os_error(exc: OSError) -> str:
    """An operating-system failure on an output location, as one Chinese line naming the path."""
    where = exc.filename if exc.filename is not None else "输出位置"
    return f"{where}: {_os_reason(exc)}"


def output_error(path: object, exc: OSError) -> OutputError:
    """`path` (the output the user asked for, not a temp file beside it) cannot be written."""
    return OutputError(str(path), _os_reason(exc))


def _os_reason(exc: OSError) -> str:
    return f"无法写入（{_OS_ERRORS_CN.get(exc.errno or -1, exc.strerror or type(exc).__name__)}）"
