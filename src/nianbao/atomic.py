"""Write files atomically: a temp file in the target folder, then rename.

An interrupted run never leaves a half-written file that looks complete.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator

from .errors import output_error


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()   # what open() would have given; mkstemp makes 0600


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8",
                newline: str | None = None) -> Iterator[IO]:
    """Open a temp file beside `path`; on success it replaces `path`, on error it is removed."""
    kwargs = {} if "b" in mode else {"encoding": encoding, "newline": newline}
    with _atomic_path(Path(path)) as tmp:
        with open(tmp, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path, "w") as fh:
        fh.write(text)


def atomic_path(path: str | os.PathLike) -> "contextlib.AbstractContextManager[Path]":
    """For writers that want a path (openpyxl, python-docx): yields a temp path, renamed on success."""
    return _atomic_path(Path(path))


@contextlib.contextmanager
def _atomic_path(target: Path) -> Iterator[Path]:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:100]}.", suffix=".part" + target.suffix[:20],
                                   dir=target.parent)
    except OSError as exc:       # the place the user named cannot take a file: say so, naming it
        raise output_error(target, exc) from None
    os.close(fd)
    try:
        yield Path(tmp)
    except BaseException:           # the writer's own failure: its exception, as it raised it
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    try:
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise output_error(target, exc) from None
