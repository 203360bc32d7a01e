"""Account scores and content labels as Ray Data batch maps over the local models.

The per-row work (features and the additive model for accounts; embeddings and the
content heads for posts) runs in batches on Ray; what needs every row at once (cohorts of
accounts created together, each account's share of AI-written posts, narratives) runs on
the driver over the gathered results with the same local functions. The store is read
before and written after, by the driver.
"""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from limelight.errors import InputError
from limelight.scale._ray import ray_failure

if TYPE_CHECKING:
    from limelight.detect.accounts import AccountScorer, AccountScores
    from limelight.scale._engine import RayEngine
    from limelight.store import Database

__all__ = ["account_scores", "map_table"]

#: Rows per batch: large enough that per-batch overhead is small, small enough that a
#: batch of posts with their embeddings stays far below a worker's memory.
BATCH_ROWS = 4096

_COHORT_COLUMNS = ("cohort_id", "cohort_size", "cohort_evidence")


def map_table(
    table: pa.Table,
    fn: Any,
    engine: RayEngine,
    what: str,
    *,
    batch_rows: int = BATCH_ROWS,
    **map_options: Any,
) -> pa.Table:
    """``fn`` over ``table`` (not empty) in batches with Ray Data, the results in the
    input's order; ``map_options`` go to ``map_batches`` (an actor class's constructor
    arguments, ``concurrency``, ``num_gpus``)."""
    ray = engine.connect()
    import ray.data as ray_data

    with warnings.catch_warnings():
        # Ray Data's own default context warns about one of its own deprecated defaults.
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx = ray_data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    blocks = max(engine.shard_count(ray), -(-table.num_rows // batch_rows))
    try:
        # Blocks are cut here, not by a repartition task: an actor pool that holds every
        # CPU would leave such a task waiting for one.
        size = -(-table.num_rows // blocks)
        ds = ray_data.from_arrow([table.slice(i, size) for i in range(0, table.num_rows, size)])
        out = ds.map_batches(
            fn, batch_format="pyarrow", batch_size=batch_rows, zero_copy_batch=True, **map_options
        )
        refs = out.to_arrow_refs()
        parts = ray.get(refs)
    except ray.exceptions.RayError as exc:
        raise ray_failure(exc, what) from None
    parts = [p for p in parts if p.num_rows]
    if not parts:
        raise InputError(f"{what} on Ray returned no rows for {table.num_rows} inputs; rerun it")
    return pa.concat_tables(parts)


class _ScoreAccounts:
    """The batch function of account scoring: the local scorer on one batch of accounts.

    Cohorts span batches, so they are found once on the driver; here a finder that needs
    more members than any batch holds keeps the batch from looking for them.
    """

    def __init__(self, model_path: str | None, top_reasons: int, threshold: float) -> None:
        self.settings = (model_path, top_reasons, threshold)

    def __call__(self, batch: pa.Table) -> pa.Table:
        from limelight.detect.accounts import AccountScorer, CohortFinder

        model_path, top_reasons, threshold = self.settings
        scorer = AccountScorer(
            model_path, top_reasons, threshold, cohorts=CohortFinder(min_size=2**31 - 1)
        )
        return scorer.score_table(batch).table


def account_scores(db: Database, scorer: AccountScorer | None, engine: RayEngine) -> AccountScores:
    """The same ``AccountScores`` as ``scorer.score(db)``, the model run on Ray."""
    from limelight.detect.accounts import AccountScorer, AccountScores, scoring_table
    from limelight.detect.accounts._model import AccountModel

    scorer = scorer or AccountScorer()
    table = scoring_table(db)
    if table.num_rows == 0:
        return scorer.score_table(table)
    fn = _ScoreAccounts(scorer.model_path, scorer.top_reasons, scorer.threshold)
    scored = map_table(table, fn, engine, "account scoring")
    if scored.num_rows != table.num_rows or not scored.column("account_id").equals(
        table.column("account_id")
    ):
        raise InputError("account scoring on Ray returned rows out of order; rerun it")
    cohorts = scorer.cohorts.find(table)
    for name in _COHORT_COLUMNS:
        scored = scored.set_column(
            scored.schema.get_field_index(name), name, cohorts.table.column(name)
        )
    params = {
        "model": AccountModel.load(scorer.model_path).version,
        "top_reasons": scorer.top_reasons,
        "threshold": scorer.threshold,
        "cohorts": cohorts.params,
    }
    return AccountScores(scored, cohorts.cohorts, params)
