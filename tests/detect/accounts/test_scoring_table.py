"""scoring_table: the profile scan and the behaviour aggregate joined in Arrow give the
same rows as one SQL full outer join, including authors known only from their posts."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from limelight.detect.accounts import BEHAVIOUR_SCHEMA, LabelledAccounts, scoring_table
from limelight.detect.accounts._behaviour import _ACCOUNT_COLUMNS, BEHAVIOUR_SQL
from limelight.store import Database

from .conftest import ira_records


def _reference(db: Database) -> pa.Table:
    """The plain SQL form: a full outer join of profiles and behaviour, by key."""
    behaviour_cols = ", ".join(f"b.{c}" for c in BEHAVIOUR_SCHEMA.names[2:])
    profile_cols = ", ".join(f"a.{c}" for c in _ACCOUNT_COLUMNS)
    return db.arrow(
        f"""
        WITH b AS ({BEHAVIOUR_SQL.format(post_filter="")}),
        latest AS (SELECT max(created_at) AS t FROM posts)
        SELECT coalesce(a.platform, b.platform) AS platform,
               coalesce(a.account_id, b.account_id) AS account_id,
               {profile_cols},
               coalesce(a.seen_at, b.last_post_at, (SELECT t FROM latest)) AS seen_at,
               a.account_id IS NOT NULL AS has_profile,
               {behaviour_cols}
        FROM accounts a
        FULL OUTER JOIN b ON a.platform = b.platform AND a.account_id = b.account_id
        """
    )


def _by_key(t: pa.Table) -> list[tuple[object, ...]]:
    # floats to 9 digits: DuckDB's parallel aggregates may sum in another order per run
    cols = [
        [round(v, 9) if isinstance(v, float) else v for v in t.column(c).to_pylist()]
        for c in t.column_names
    ]
    rows = list(zip(*cols, strict=True))
    return sorted(rows, key=lambda r: (str(r[0]), str(r[1])))


def test_same_rows_as_one_sql_join(
    data_dir: Path, labelled: LabelledAccounts, tmp_path: Path
) -> None:
    posts, ira_accounts = ira_records(data_dir)
    keep = ira_accounts[::2]  # half the authors have a profile, half only posts
    cresci = [a for a, g in zip(labelled.accounts, labelled.group, strict=True) if "genuine" in g]
    db = Database(tmp_path / "store.duckdb")
    db.write_batch(posts, cresci[:500] + keep, [], [])
    fast, ref = scoring_table(db), _reference(db)
    db.close()
    assert fast.column_names == ref.column_names
    assert fast.num_rows == ref.num_rows == 500 + len(ira_accounts)
    assert _by_key(fast) == _by_key(ref)
    # profiles first, then authors without one, by key
    flags = fast.column("has_profile").to_pylist()
    assert flags == sorted(flags, reverse=True)
    assert flags.count(False) == len(ira_accounts) - len(keep)
    tail = fast.column("account_id").to_pylist()[flags.count(True) :]
    assert tail == sorted(tail)
