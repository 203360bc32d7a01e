"""``fuse(db)``: read the detectors' tables, fuse them, add amplification, write the results."""

from __future__ import annotations

from typing import Any

from limelight.campaigns._amplification import amplification
from limelight.campaigns._fuse import FusionResult, FusionSettings, fuse_tables
from limelight.campaigns._inputs import read_detector_tables
from limelight.campaigns._tables import ACCOUNT_LABELS, AMPLIFICATION, TIMELINE
from limelight.store import Database

__all__ = ["fuse"]


def fuse(
    db: Database,
    settings: FusionSettings | None = None,
    *,
    bucket_seconds: int | None = None,
    llm: Any = None,
    write: bool = True,
) -> FusionResult:
    """Fuse what the detectors stored in ``db`` into campaigns, labels, evidence, amplification.

    Works with whatever ran: without coordination there are no campaigns (account and post
    labels still come from bot scores and content), without account scores no account is
    likely automated, without content no technique or AI-text signal. ``write`` replaces
    the tables of ``_tables.FUSED_TABLES`` (``spotlight_edges`` excepted: the coordination
    stage writes it) in the store, each in one transaction. ``llm`` (``LLMSettings`` with an
    endpoint) asks the LLM for each campaign's note; a note it writes is used only when
    every time, id and number in it is in the evidence (``_llm_notes``).
    """
    inputs = read_detector_tables(db)
    if llm is not None and llm.enabled:
        from limelight.llm import LLMClient

        with LLMClient(llm, store=db) as client:
            result = fuse_tables(inputs, settings, llm_client=client)
    else:
        result = fuse_tables(inputs, settings)
    amp, timeline = amplification(
        db, result.tables[ACCOUNT_LABELS], inputs.content, bucket_seconds=bucket_seconds
    )
    result.tables[AMPLIFICATION] = amp
    result.tables[TIMELINE] = timeline
    result.params["bucket_seconds"] = (
        int(timeline.column("bucket_seconds")[0].as_py()) if timeline.num_rows else bucket_seconds
    )
    if write:
        for name, table in result.tables.items():
            db.replace_table(name, table)
    return result
