"""Render the report: one self-contained HTML file from ``report_data``'s dict.

The Jinja2 templates live in this package (``templates/``); CSS is inlined, pictures are
inline SVG, and the little script (table filters) is inline too, so the file opens
offline, from a mail attachment or a USB stick, and refers to nothing outside itself.
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from limelight.errors import InputError
from limelight.spotlight.report._data import report_data
from limelight.spotlight.report._svg import LAYER_COLOURS
from limelight.store import Database

__all__ = ["render_report", "write_report"]

_POST_REF = re.compile(r"post ([0-9A-Za-z][0-9A-Za-z:/._-]*[0-9A-Za-z])")

_BUCKETS = {3600: "hour", 21600: "6 hours", 86400: "day", 604800: "week", 2592000: "30 days"}


def _environment(shown_posts: set[str]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("limelight.spotlight.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def link_posts(note: str | None) -> Markup:
        """Escape a note and turn each cited post id shown in the posts table into a link."""
        text = str(escape(note or ""))

        def link(m: re.Match[str]) -> str:
            pid = m.group(1)
            if pid not in shown_posts:
                return m.group(0)
            return f'post <a class="id" href="#post-{pid}">{pid}</a>'

        return Markup(_POST_REF.sub(link, text))

    env.filters["link_posts"] = link_posts
    # Short ids stay on one line; long ones (hashes, URIs) may break anywhere.
    env.filters["short"] = lambda v: " nowrap" if v is not None and len(str(v)) <= 20 else ""
    return env


def render_report(data: dict[str, Any]) -> str:
    """The report's HTML for a ``report_data`` dict."""
    css = files("limelight.spotlight.report").joinpath("templates/report.css").read_text("utf-8")
    shown = {str(p["post_id"]) for p in data["posts"]}
    env = _environment(shown)
    data = {
        **data,
        "bucket_label": _BUCKETS.get(int(data["bucket_seconds"]), f"{data['bucket_seconds']} s"),
    }
    return env.get_template("report.html.j2").render(
        d=data, css=Markup(css), layer_colours=LAYER_COLOURS
    )


def write_report(db: Database, path: str | Path, *, max_rows: int = 200) -> Path:
    """Write the report of an analysed store to ``path`` (one HTML file); return the path."""
    target = Path(path)
    if target.exists() and target.is_dir():
        raise InputError(f"{target}: is a folder; give a file name such as report.html")
    target.parent.mkdir(parents=True, exist_ok=True)
    html = render_report(report_data(db, max_rows=max_rows))
    tmp = target.with_name(target.name + ".part")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(target)
    return target
