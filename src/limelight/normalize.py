"""Pure functions that make values from different sources comparable.

Coordination detection compares URLs, hashtags and times across accounts and platforms, so
the same link must become the same string whatever client or format it came through.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

__all__ = [
    "TRACKING_PARAMS",
    "html_to_text",
    "normalize_handle",
    "normalize_hashtag",
    "normalize_url",
    "parse_export_time",
    "parse_time",
    "url_domain",
]

# Query parameters that only say where a click came from; they make one link look like many.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "igsh",
        "yclid",
        "_ga",
        "_gl",
        "ref_src",
        "ref_url",
        "s",
        "t",
        "si",
        "feature",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wt_mc",
        "cmpid",
        "ocid",
        "smid",
        "twclid",
        "ttclid",
        "sr_share",
        "__twitter_impression",
    }
)
_TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_", "mtm_", "hsa_")
# Hosts where the short parameters above ("s", "t", "si", "feature") carry tracking only.
_SHORT_PARAM_HOSTS: frozenset[str] = frozenset(
    {"twitter.com", "x.com", "youtube.com", "youtu.be", "open.spotify.com", "instagram.com"}
)
_SHORT_PARAMS: frozenset[str] = frozenset({"s", "t", "si", "feature"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}


@lru_cache(maxsize=262_144)
def normalize_url(url: str) -> str:
    """Return a canonical form of ``url`` so that one link shared many ways compares equal.

    Lower-cases scheme and host, drops ``www.``, default ports, fragments, tracking
    parameters (utm_*, fbclid, ...) and a trailing slash, and upgrades http to https
    (sites serve both; campaigns rotate between them). Parameter order is kept, since some
    sites give it meaning. A string that is not an absolute http(s) URL is returned
    stripped but otherwise unchanged.
    """
    url = url.strip()
    if "://" not in url:
        if url.startswith("www."):
            url = "https://" + url
        else:
            return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return url
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host
    if port is not None and str(port) != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{port}"
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~%")
    path = re.sub(r"/{2,}", "/", path).rstrip("/")
    query = ""
    if parts.query:
        kept = [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not _is_tracking(k.lower(), host)
        ]
        query = urlencode(kept, doseq=True)
    return urlunsplit(("https", netloc, path, query, ""))


def _is_tracking(key: str, host: str) -> bool:
    if key.startswith(_TRACKING_PREFIXES):
        return True
    if key in _SHORT_PARAMS:
        return host in _SHORT_PARAM_HOSTS
    return key in TRACKING_PARAMS


@lru_cache(maxsize=65_536)
def url_domain(url: str) -> str | None:
    """The host of a normalized URL without ``www.``, or None when it has none."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def normalize_hashtag(tag: str) -> str:
    """Lower-case a hashtag and drop a leading '#' (Unicode-aware casefold)."""
    return tag.strip().lstrip("#＃").casefold()


def normalize_handle(handle: str) -> str:
    """Lower-case a handle and drop a leading '@'."""
    return handle.strip().lstrip("@").lower()


_TWITTER_TIME = re.compile(
    r"^[A-Z][a-z]{2} ([A-Z][a-z]{2}) (\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-]\d{4}) (\d{4})$"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def parse_time(value: object) -> datetime | None:
    """Parse the time formats the supported sources use into an aware UTC datetime.

    Accepts ISO 8601 (with 'Z' or an offset; naive means UTC), Twitter v1.1's
    'Wed Jul 09 00:08:39 +0000 2014', 'YYYY-MM-DD HH:MM[:SS]', and POSIX seconds or
    milliseconds as numbers or numeric strings. Raises ValueError for anything else, so the
    reader can reject the record with that reason.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r}")
    s = value.strip()
    if s[:1].isdigit() and s.replace(".", "", 1).isdigit():
        return _from_epoch(float(s))
    m = _TWITTER_TIME.match(s)
    if m:
        mon, day, hh, mm, ss, off, year = m.groups()
        sign = -1 if off[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(off[1:3]), minutes=int(off[3:5])))
        dt = datetime(int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss), tzinfo=tz)
        return dt.astimezone(UTC)
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(f"not a time: {value!r}") from None
    return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)


#: What a spreadsheet makes of a time when a table of profiles passes through it.
_SHEET_LAYOUTS = ("%d-%m-%Y %H:%M", "%m/%d/%Y %H:%M")


def parse_export_time(value: str) -> datetime | None:
    """``parse_time``, plus what exported tables made of times; None when nothing fits.

    Java's epoch milliseconds with a trailing ``L`` ("1183552203000L", cresci-2017), and
    a spreadsheet's "13-03-2017 22:21" (day first, with dashes) or "3/13/2017 23:48"
    (month first, with slashes), read as UTC (the Kaggle bot set).
    """
    s = value.strip()
    if s.endswith("L") and s[:-1].isdigit():
        s = s[:-1]
    for layout in _SHEET_LAYOUTS:
        try:
            return datetime.strptime(s, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
    try:
        return parse_time(s)
    except (ValueError, OverflowError, OSError):
        return None


def _from_epoch(x: float) -> datetime:
    # Milliseconds or microseconds since 1970 are far larger than any plausible seconds value.
    if x > 1e15:
        x /= 1e6
    elif x > 1e11:
        x /= 1e3
    return datetime.fromtimestamp(x, tz=UTC)


_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>", re.IGNORECASE)


def tweet_text(text: str | None) -> str | None:
    """A tweet's text as its author wrote it: Twitter's APIs escape '&', '<' and '>' as
    HTML entities ('&amp;'), once; undo that, so that texts compare equal across sources
    (the IRA and archive CSVs hold the plain characters) and read right when shown."""
    if text and "&" in text:
        return html.unescape(text)
    return text


def html_to_text(markup: str) -> str:
    """Turn Mastodon-style status HTML into plain text: breaks become newlines, tags go."""
    text = _BREAK.sub("\n", markup)
    text = _TAG.sub("", text)
    return html.unescape(text).strip()
