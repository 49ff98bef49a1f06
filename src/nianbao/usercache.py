"""A private per-user cache folder for work a previous run already did (compiled packs, templates).

The files are pickles, so they live only in a folder of this user's own
(`$XDG_CACHE_HOME/nianbao` or `~/.cache/nianbao`, mode 0700), never in a shared
temporary folder; when that folder cannot be made safe nothing is cached.
Each entry stores the key it was made for; an entry that fails to load, or
whose key differs (an edited pack, another nianbao version), is ignored and
rewritten. `NIANBAO_NO_CACHE=1` turns the cache off.
"""
from __future__ import annotations

import contextlib
import os
import pickle
import stat
import sys
from typing import Any

#: Bumped whenever what is stored changes shape; part of every entry's key.
FORMAT = 1
#: Entries kept per kind (file-name prefix); the least recently written go first. Packs checked
#: once from temporary folders would otherwise pile up.
MAX_ENTRIES = 64


def cache_dir() -> str | None:
    """The user's own cache folder (made if missing), or None when it is unsafe or cannot be made."""
    if os.environ.get("NIANBAO_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "nianbao")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        st = os.stat(folder)
        if st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return None
    except (OSError, AttributeError):
        return None
    return folder


def _stamp(key: str) -> str:
    from . import __version__

    return f"{FORMAT}\0{__version__}\0{sys.version_info[:2]}\0{key}"


def load(name: str, key: str) -> Any:
    """The object stored under `name` for `key`, or None (absent, unreadable, foreign or stale)."""
    folder = cache_dir()
    if folder is None:
        return None
    path = os.path.join(folder, name)
    try:
        st = os.stat(path)
        if st.st_uid != os.getuid():
            return None
        with open(path, "rb") as fh:
            stored_key = pickle.load(fh)
            if stored_key != _stamp(key):
                return None
            return pickle.load(fh)
    except Exception:       # a corrupt, truncated or foreign file is ignored (and rewritten by store)
        return None


def store(name: str, key: str, value: Any) -> None:
    """Keep `value` under `name` for `key` (atomically, mode 0600); a failure only means no cache."""
    folder = cache_dir()
    if folder is None:
        return
    import tempfile        # (and random): only a run that stores something needs it

    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(_stamp(key), fh, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, os.path.join(folder, name))
        tmp = None
        _prune(folder, name.split("-", 1)[0] + "-")
    except Exception:       # unpicklable value, full disk, read-only home: run on without a cache
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _prune(folder: str, prefix: str) -> None:
    """Keep the MAX_ENTRIES newest entries whose names start with `prefix`."""
    entries = []
    with os.scandir(folder) as it:
        for e in it:
            if e.name.startswith(prefix) and e.name.endswith(".pickle"):
                with contextlib.suppress(OSError):
                    entries.append((e.stat().st_mtime_ns, e.path))
    for _, path in sorted(entries, reverse=True)[MAX_ENTRIES:]:
        with contextlib.suppress(OSError):
            os.unlink(path)
