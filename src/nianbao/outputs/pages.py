"""What the HTML pages share: the Jinja2 environment (autoescape always on) and the small
helpers that turn values into the Chinese text the pages show."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

import jinja2

from ..findings import CATEGORY_CN
from ..words import cn_date
from ..model import Location

SEVERITIES = ("error", "warning", "info")


def category_cn(category: str) -> str:
    return CATEGORY_CN.get(category, category)


# ---------------------------------------------------------------------------
# Jinja2 environment: package templates, autoescape always on.
_ENV: jinja2.Environment | None = None


def _env() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        _ENV = jinja2.Environment(
            loader=jinja2.PackageLoader("nianbao", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
    return _ENV


# ---------------------------------------------------------------------------
# Small formatting helpers (all return Chinese text for people).
def cell_id(name: str) -> str:
    """Anchor id of a redrawn table cell: section3.new.total -> cell-section3-new-total."""
    return "cell-" + re.sub(r"[^A-Za-z0-9_-]", "-", name.replace(".", "-"))


def _fmt_number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text or "0"


def format_value(value: Any) -> str:
    if value is None:
        return "（空白）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return _fmt_number(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _format_datetime(moment: dt.datetime) -> str:
    text = f"{moment.year}年{moment.month}月{moment.day}日 {moment.hour:02d}:{moment.minute:02d}"
    if moment.tzinfo is not None:
        offset = moment.utcoffset()
        if offset is not None:
            minutes = int(offset.total_seconds() // 60)
            sign = "+" if minutes >= 0 else "-"
            text += f"（UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}）"
    return text


def _format_date(value: Any) -> str:
    if isinstance(value, dt.date):
        return cn_date(value)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        y, m, d = (int(p) for p in value.split("-"))
        return f"{y}年{m}月{d}日"
    return str(value) if value else ""


def _where(location: Location | None) -> str:
    return location.describe() if location is not None else ""


def _file_name(source: str) -> str:
    return PurePath(source.replace("\\", "/")).name or source


def safe_href(link: str | None) -> str | None:
    """A relative file path (as the batch runner gives it) as a percent-encoded relative URL.

    Anything that looks like a URL with a scheme (javascript:, http:, …), an
    absolute path or a network path is refused: the index only links to files
    written beside it.
    """
    if not link:
        return None
    text = str(link).replace("\\", "/")
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text) or text.startswith("/"):
        return None
    return quote(text, safe="/")
