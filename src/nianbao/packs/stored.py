"""Compiled packs kept on disk between runs, keyed by the content of their files.

A fresh `nianbao check` would otherwise read the pack's YAML files, parse and check
its expressions and compile its message templates at every start. The first run
stores the compiled pack in the user's cache folder (usercache.py); a later run
checks that the files it was made from (pack files, the packs it extends, their
folders' listings, the template and the expression grammar) still have the same
content, and then loads it without YAML, lark or jinja2 (expressions are rebuilt
from their checked trees, lang/stored.py; messages compile on first render).
Anything that goes wrong on the way is a cache miss: the pack is compiled afresh.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

from .. import usercache
from .confine import pack_dirs, yaml_files
from .pack import Pack

_CODE = Path(__file__).resolve().parents[1]         # src/nianbao: the code that compiled the pack


def _entry_name(ref_key: str) -> str:
    return "pack-" + hashlib.sha256(ref_key.encode("utf-8", "surrogateescape")).hexdigest()[:32] + ".pickle"


def _entry_key(ref_key: str) -> str:
    """What must be the same for a stored pack to be used: the reference, where pack names are looked up
    and the code that compiled it (its modules' sizes and times, so a changed checker is noticed)."""
    parts = [ref_key, os.environ.get("NIANBAO_PACKS", "")]
    for folder in pack_dirs():
        try:
            parts.append(f"{folder}:{sorted(os.listdir(folder))}")
        except OSError:
            parts.append(f"{folder}:-")
    for sub in ("", "lang", "packs"):
        try:
            with os.scandir(_CODE / sub) as it:
                for e in it:
                    if e.name.endswith(".py"):
                        st = e.stat()
                        parts.append(f"{sub}/{e.name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{sub}:-")
    return "\n".join(sorted(parts))


def digest(files: list[str], folders: list[str]) -> str:
    """A digest of the files' content and of the pack files listed in each folder (an added or removed
    file changes it)."""
    h = hashlib.sha256()
    for name in files:
        h.update(name.encode("utf-8", "surrogateescape") + b"\0")
        try:
            h.update(Path(name).read_bytes())
        except OSError:
            h.update(b"\0missing")
        h.update(b"\0")
    for folder in folders:
        h.update("\0".join(p.name for p in yaml_files(Path(folder))).encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def load(ref_key: str) -> tuple[list[str], list[str], str, Pack] | None:
    """(files, folders, digest, pack) stored for `ref_key`, if its files are unchanged; else None."""
    entry = usercache.load(_entry_name(ref_key), _entry_key(ref_key))
    try:
        files, folders, stored_digest, pack, version = entry
        if not isinstance(pack, Pack) or digest(files, folders) != stored_digest:
            return None
        from ..template import load_template

        pack.template = load_template(version)
        return list(files), list(folders), stored_digest, pack
    except Exception:          # absent (None), foreign or broken: compile afresh
        return None


def keep(ref_key: str, files: list[str], folders: list[str], pack_digest: str, pack: Pack) -> None:
    """Store a freshly compiled pack (the template is stored by version: templates have their own cache)."""
    bare = dataclasses.replace(pack, template=None)
    usercache.store(_entry_name(ref_key), _entry_key(ref_key),
                    (files, folders, pack_digest, bare, pack.template.version))
