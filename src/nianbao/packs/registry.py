"""Compiled packs, cached by the content of their files.

A `PackRegistry` loads packs by name or path and keeps each compiled pack under a
digest of the files it was read from (every YAML file of the pack and of the packs
it extends, and the list of YAML files in their folders). On the next load the
files are looked at again: an edited, added or removed pack file means a fresh
compile. A long-running server or a batch worker holds one registry (through its
`Checker`); `load_pack` uses the process-wide default checker's. Compiled packs are
also kept on disk between runs (stored.py), under the same digest.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from . import stored
from .pack import Pack

_Stat = tuple[tuple[str, int, int, int], ...]


class PackRegistry:
    """Loads packs (`load(ref)`) and caches them keyed by the content of their files. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_digest: dict[str, Pack] = {}
        self._refs: dict[str, tuple[list[str], list[str], _Stat, str]] = {}   # ref -> (files, folders, stat, digest)

    def load(self, ref: str) -> Pack:
        """The compiled pack `ref` (a name or a path); raises PackError (file:line:col) when it is broken."""
        key = self._key(ref)
        with self._lock:
            known = self._refs.get(key)
            if known is not None:
                files, folders, stat, digest = known
                now = _stat(files, folders)
                if now != stat:
                    digest = stored.digest(files, folders)
                    self._refs[key] = (files, folders, now, digest)
                pack = self._by_digest.get(digest)
                if pack is not None:
                    return pack
            found = stored.load(key) if known is None else None
            if found is not None:
                files, folders, digest, pack = found
            else:
                files, folders, digest, pack = _compile(ref)
                stored.keep(key, files, folders, digest, pack)
            self._refs[key] = (files, folders, _stat(files, folders), digest)
            self._by_digest[digest] = pack
            return pack

    def clear(self) -> None:
        with self._lock:
            self._by_digest.clear()
            self._refs.clear()

    @staticmethod
    def _key(ref: str) -> str:
        path = Path(ref)
        return f"{ref}\0{path.resolve()}" if path.exists() else ref


def _compile(ref: str) -> tuple[list[str], list[str], str, Pack]:
    """Read and compile pack `ref`: (the files it depends on, their folders, their digest, the pack)."""
    from ..lang.parser import grammar_path
    from .compile import compile_pack
    from .reader import read_pack

    source = read_pack(ref)
    pack = compile_pack(source)
    # The grammar too: a changed grammar could change what the stored expressions mean.
    files = list(dict.fromkeys(source.files + [str(pack.template.path or ""), str(grammar_path())]))
    folders = list(dict.fromkeys(str(Path(f).parent) for f in source.files))
    return files, folders, stored.digest(files, folders), pack


def _stat(files: list[str], folders: list[str]) -> _Stat:
    out = []
    for name in files + folders:
        try:
            st = os.stat(name)
            out.append((name, st.st_mtime_ns, st.st_size, st.st_ino))
        except OSError:
            out.append((name, -1, -1, -1))
    return tuple(out)


def load_pack(ref: str) -> Pack:
    """Load and compile a pack (by name or path) with the packs it extends; cached by the process-wide
    `Checker`'s registry until one of its files changes."""
    from ..checker import load_pack as cached_load

    return cached_load(ref)
