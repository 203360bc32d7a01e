"""`limelight analyze` end to end on the bundled sample, and the report it writes.

The report must be one file that works offline: every reference in it stays inside the
document, and it holds each campaign with its note, network picture and cited posts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from limelight.campaigns import SPOTLIGHT_CAMPAIGNS
from limelight.cli import app
from limelight.demo import sample_path
from limelight.spotlight.report import highlight_segments, render_report, report_data
from limelight.store import Database
from tests.conftest import REPO

pytestmark = pytest.mark.slow

runner = CliRunner()
_REF_ATTRS = {"src", "href", "xlink:href", "action", "srcset", "poster", "data", "formaction"}


class _Page(HTMLParser):
    """Collects tags, references, ids and the text of each element with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.refs: list[str] = []
        self.ids: set[str] = set()
        self.styles: list[str] = []
        self._in_style = False
        self.articles: list[str] = []
        self.circles_in: dict[str, int] = {}
        self._article: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        a = {k: v or "" for k, v in attrs}
        self.refs += [v for k, v in a.items() if k in _REF_ATTRS]
        if "style" in a:
            self.styles.append(a["style"])
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "style":
            self._in_style = True
        if tag == "article":
            self._article = a.get("id")
            self.articles.append(a.get("id", ""))
        if tag == "circle" and self._article:
            self.circles_in[self._article] = self.circles_in.get(self._article, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False
        if tag == "article":
            self._article = None

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, list[str]]]:
    """The demo sample analysed twice through the CLI: (store, report, both outputs)."""
    folder = tmp_path_factory.mktemp("analyze")
    db, out = folder / "s.duckdb", folder / "out"
    args = ["analyze", str(sample_path()), "--db", str(db), "--out", str(out)]
    first = runner.invoke(app, [*args, "--export", "csv,gexf"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    yield db, out / "report.html", [first.output, second.output]


def test_analyze_writes_the_report_and_a_rerun_reuses_the_work(
    analysed: tuple[Path, Path, list[str]],
) -> None:
    _, report, (first, second) = analysed
    assert report.is_file() and f"report: {report}" in first.replace("\n", "")
    assert (report.parent / "exports" / "account_labels.csv").is_file()
    assert (report.parent / "exports" / "campaigns.gexf").is_file()
    for stage in ("coordination", "accounts", "fusion"):
        assert re.search(rf"{stage}\s*│\s*done", first), first
        assert re.search(rf"{stage}\s*│\s*skipped", second), second
    assert re.search(r"ingest\s*│\s*skipped", second)
    assert re.search(r"content\s*│\s*unavailable\s*│[^│]*│\s*no posts with text", first), first


def test_the_report_refers_to_nothing_outside_itself(
    analysed: tuple[Path, Path, list[str]],
) -> None:
    _, report, _ = analysed
    page = _Page()
    page.feed(report.read_text(encoding="utf-8"))
    assert {"link", "img", "iframe", "object", "embed"}.isdisjoint(page.tags)
    assert page.refs, "the report has internal links"
    assert all(r.startswith("#") for r in page.refs), [r for r in page.refs if r[:1] != "#"]
    for css in page.styles:
        assert "url(" not in css and "@import" not in css
    assert page.tags.count("script") == 1  # the inline table filter, no src


def test_the_report_holds_every_campaign_with_its_note_network_and_cited_posts(
    analysed: tuple[Path, Path, list[str]],
) -> None:
    db_path, report, _ = analysed
    html = report.read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    with Database(db_path, read_only=True) as db:
        campaigns = db.arrow(f"SELECT * FROM {SPOTLIGHT_CAMPAIGNS} ORDER BY rank").to_pylist()
    assert campaigns
    assert page.articles == [c["campaign_id"] for c in campaigns]
    assert html.count('class="spark"') > 0  # amplified items over time
    assert 'class="timeline"' in html and html.count('class="hist"') == 3
    for c in campaigns:
        assert page.circles_in[c["campaign_id"]] == c["n_accounts"]
        cited = re.findall(r"post ([0-9a-f]{32})", c["note"])
        assert cited
        for post_id in cited:
            assert f'href="#post-{post_id}"' in html and f"post-{post_id}" in page.ids
        assert c["note"].split(". ")[0] in html


def test_spans_are_highlighted_in_the_rendered_posts(
    analysed: tuple[Path, Path, list[str]],
) -> None:
    db_path, _, _ = analysed
    with Database(db_path, read_only=True) as db:
        data = report_data(db, max_rows=20)
    post = data["posts"][0]
    post["segments"] = highlight_segments(
        "Traitors everywhere! Act now.",
        [{"start": 0, "end": 8, "technique": "name_calling"}],
    )
    html = render_report(data)
    assert '<mark title="name calling">Traitors</mark> everywhere! Act now.' in html


def test_highlight_segments_cover_the_text_once() -> None:
    text = "one two three four"
    spans = [
        {"start": 4, "end": 13, "technique": "a"},
        {"start": 8, "end": 18, "technique": "b"},  # overlaps a: merged into it
        {"start": 30, "end": 40, "technique": "c"},  # beyond the text: dropped
    ]
    pieces = highlight_segments(text, spans)
    assert "".join(p["text"] for p in pieces) == text
    assert [p["technique"] for p in pieces] == [None, "a, b"]
    assert highlight_segments(None, spans) == []
    assert highlight_segments("plain", []) == [{"text": "plain", "technique": None}]


def test_a_store_without_analysis_says_what_to_run(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["export-labels", str(tmp_path / "x"), "--db", str(tmp_path / "none.duckdb")]
    )
    assert result.exit_code == 2 and "limelight analyze" in result.output
    empty = runner.invoke(
        app, ["analyze", "--db", str(tmp_path / "e.duckdb"), "--out", str(tmp_path / "o")]
    )
    assert empty.exit_code == 2 and "holds no posts" in empty.output
    wrong = runner.invoke(app, ["analyze", "--db", str(tmp_path / "w.duckdb"), "--export", "xls"])
    assert wrong.exit_code == 2 and "choose from csv" in wrong.output
    assert not (tmp_path / "w.duckdb").exists()


def test_a_real_browser_renders_the_report(analysed: tuple[Path, Path, list[str]]) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    _, report, _ = analysed
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "report.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    proc = subprocess.run(
        [browser, *flags, "--window-size=1400,2200", f"--screenshot={shot}", report.as_uri()],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0 and shot.stat().st_size > 50_000, proc.stderr[-500:]
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", report.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    assert "Campaigns, strongest first" in dom and "<svg" in dom


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(max_size=60),
    spans=st.lists(
        st.tuples(st.integers(-5, 70), st.integers(-5, 70), st.sampled_from(["a", "b", "c"])),
        max_size=6,
    ),
)
def test_highlighting_never_loses_or_repeats_text(
    text: str, spans: list[tuple[int, int, str]]
) -> None:
    pieces = highlight_segments(text, [{"start": s, "end": e, "technique": t} for s, e, t in spans])
    assert "".join(p["text"] for p in pieces) == text
    assert all(p["text"] for p in pieces)
