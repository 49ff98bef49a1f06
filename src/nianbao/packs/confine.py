"""Where a pack may reach: bundled packs by name, and files inside its own folder.

A pack names other files three ways: `extends:` (another pack), `template:` (a
template version) and `letter: {template: …}` (an HTML letter template). Packs
come from other offices, so each is confined: a name is looked up among the
bundled packs (`nianbao.paths.rules_dir()`) and the folders listed in the
NIANBAO_PACKS environment variable (os.pathsep-separated); a path must lie inside
the folder of the file that names it (or one of those folders), after symlinks
are followed. `..`, `~` and absolute paths elsewhere are refused.
"""
from __future__ import annotations

import os
from pathlib import Path

import regex

from ..errors import PackError
from ..paths import rules_dir
from .schema import NAME_PATTERN

ENV_VAR = "NIANBAO_PACKS"


class Refused(Exception):
    """A reference that points outside where a pack may reach (message in Chinese)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def extra_dirs() -> list[Path]:
    """The folders NIANBAO_PACKS lists (those that exist)."""
    out = []
    for part in os.environ.get(ENV_VAR, "").split(os.pathsep):
        if part.strip() and Path(part).is_dir():
            out.append(Path(part))
    return out


def pack_dirs() -> list[Path]:
    """Folders whose sub-folders are packs: the bundled ones first, then NIANBAO_PACKS."""
    return [rules_dir()] + extra_dirs()


def is_name(ref: str) -> bool:
    return bool(regex.fullmatch(NAME_PATTERN, ref)) and ".." not in ref


def yaml_files(folder: Path) -> list[Path]:
    """A pack folder's files: every *.yaml except template.yaml."""
    try:
        return sorted(p for p in folder.glob("*.yaml") if p.name != "template.yaml" and p.is_file())
    except OSError:
        return []


def named_pack(name: str) -> tuple[str, list[Path]] | None:
    if not is_name(name):
        return None
    for base in pack_dirs():
        files = yaml_files(base / name)
        if files:
            return name, files
    return None


def available_packs(include_abstract: bool = False) -> list[str]:
    """Pack names that can check a report (bases of shared rules left out unless asked)."""
    out: list[str] = []
    for base in pack_dirs():
        try:
            folders = sorted(p for p in base.iterdir() if p.is_dir())
        except OSError:
            continue
        for folder in folders:
            files = yaml_files(folder)
            if not files or folder.name in out:
                continue
            if not include_abstract and any(_declares_abstract(f) for f in files):
                continue
            out.append(folder.name)
    return out


def _declares_abstract(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return "\nabstract: true" in "\n" + fh.read(200_000)
    except OSError:
        return False


def _not_found(ref: str) -> PackError:
    known = "、".join(available_packs()) or "（无）"
    return PackError(ref, f"找不到规则包（既不是内置或 {ENV_VAR} 目录中的包名，也不是存在的文件或目录）；可用的包：{known}")


def _files_at(path: Path) -> list[Path] | None:
    if path.is_file():
        return [path]
    if path.is_dir():
        return yaml_files(path) or None
    return None


def root_pack(ref: str) -> tuple[str, list[Path]]:
    """The pack a user names (a command-line argument): an existing file or folder, or a pack name."""
    files = _files_at(Path(ref))
    if files:
        return ref, files
    found = named_pack(ref)
    if found:
        return found
    raise _not_found(ref)


def _inside(path: Path, roots: list[Path]) -> bool:
    real = os.path.realpath(path)
    for root in roots:
        top = os.path.realpath(root)
        if real == top or real.startswith(top.rstrip(os.sep) + os.sep):
            return True
    return False


def confined_path(value: str, folder: Path, what: str) -> Path:
    """`value` as a path relative to `folder`, refused unless it stays inside the folder
    (or a NIANBAO_PACKS folder), symlinks followed. The file need not exist."""
    if "\x00" in value:
        raise Refused(f"{what}“{value!r}”含有非法字符，已拒绝")
    parts = Path(value).parts
    if ".." in parts:
        raise Refused(f"{what}“{value}”含有“..”，不能指向规则包所在目录以外的文件，已拒绝")
    if value.startswith("~"):
        raise Refused(f"{what}“{value}”指向用户主目录，不在规则包所在目录之内，已拒绝")
    path = Path(value) if Path(value).is_absolute() else folder / value
    roots = [folder] + extra_dirs()
    if not _inside(path, roots):
        if os.path.islink(path) or not Path(value).is_absolute():
            raise Refused(f"{what}“{value}”是指向规则包所在目录以外的链接，已拒绝")
        raise Refused(f"{what}“{value}”位于规则包所在目录以外，已拒绝"
                      f"（只能使用规则包目录或 {ENV_VAR} 所列目录中的文件）")
    return path


def base_pack(value: str, folder: Path) -> tuple[str, list[Path]]:
    """The pack an `extends:` names, from a pack file in `folder`: a file or folder inside `folder`,
    else a bundled (or NIANBAO_PACKS) pack name. Raises Refused or PackError."""
    local = folder / value
    pathlike = not is_name(value) or local.exists() or os.path.islink(local)
    if pathlike:
        path = confined_path(value, folder, "extends")
        if not _inside(path, [folder, rules_dir()] + extra_dirs()):   # pragma: no cover - confined above
            raise Refused(f"extends“{value}”位于规则包所在目录以外，已拒绝")
        files = _files_at(path)
        if files:
            return str(path), files
        if not is_name(value):
            raise _not_found(value)
    found = named_pack(value)
    if found:
        return found
    raise _not_found(value)


def read_confined(path: str | Path, folder: str | Path, what: str) -> str:
    """The text of a file a pack named, checked again at read time (a link may have been swapped in)."""
    path = Path(path)
    if not _inside(path, [Path(folder)] + extra_dirs()):
        raise Refused(f"{what}“{path}”位于规则包所在目录以外，已拒绝")
    with open(path, encoding="utf-8") as fh:
        return fh.read()
