"""Candidate campaigns: co-action edges per behaviour, tested, layered, clustered, explained.

``find_campaigns`` runs the whole chain on a store: for each behaviour the actions and
their co-action edges, the significance of each edge against chance, a multiplex graph
of the significant edges and Leiden communities on it. Each community with enough
accounts becomes a campaign with its members, the behaviours and items involved, its
time span, a coordination score and the evidence: pairs of posts, with times, that a
person can open and check one by one.

The coordination score of a campaign is the mean, over all pairs of its members, of the
evidence that the pair acts together: the sum over behaviours of the pair's edge score
(-log10 p, capped at ``score_cap``), 0 for a pair without a significant edge. It reads as
"two members picked at random co-act this many orders of magnitude beyond chance", and
it rewards campaigns whose members are all tied to each other by several behaviours. A
member's score is the same mean over its pairs with the other members.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from limelight.detect.coordination._edges import co_action_edges
from limelight.detect.coordination._graph import leiden_communities, multiplex_graph
from limelight.detect.coordination._significance import (
    co_actions,
    edge_significance,
    significant_edges,
)
from limelight.errors import InputError
from limelight.store import Database

__all__ = [
    "CAMPAIGN_SCHEMA",
    "COMBINED",
    "DEFAULT_WINDOWS",
    "EVIDENCE_SCHEMA",
    "MEMBER_SCHEMA",
    "CampaignResult",
    "Layer",
    "campaign_id",
    "campaigns_from_actions",
    "campaigns_from_layers",
    "combined_actions",
    "find_campaigns",
]

_TS = pa.timestamp("us", tz="UTC")
_STRS = pa.list_(pa.string())

CAMPAIGN_SCHEMA = pa.schema(
    [
        ("campaign_id", pa.string()),
        ("rank", pa.int64()),
        ("score", pa.float64()),
        ("n_accounts", pa.int64()),
        ("n_pairs", pa.int64()),
        ("behaviours", _STRS),
        ("first_at", _TS),
        ("last_at", _TS),
        ("top_items", _STRS),
        ("accounts", _STRS),
    ]
)
MEMBER_SCHEMA = pa.schema(
    [
        ("campaign_id", pa.string()),
        ("account_id", pa.string()),
        ("score", pa.float64()),
        ("n_partners", pa.int64()),
        ("behaviours", _STRS),
    ]
)
EVIDENCE_SCHEMA = pa.schema(
    [
        ("campaign_id", pa.string()),
        ("behaviour", pa.string()),
        ("item", pa.string()),
        ("account_a", pa.string()),
        ("post_a", pa.string()),
        ("at_a", _TS),
        ("account_b", pa.string()),
        ("post_b", pa.string()),
        ("at_b", _TS),
        ("seconds_apart", pa.float64()),
        ("pair_score", pa.float64()),
    ]
)


COMBINED = "combined"

#: The behaviours ``find_campaigns`` runs by default, with their windows in seconds: a
#: minute for reposts (scripted amplification lands within seconds; CooRTweet and CNT use
#: 10-60 s), two minutes for links and texts (typed or pasted, so a little slower).
DEFAULT_WINDOWS: dict[str, float] = {"co-repost": 60.0, "co-url": 120.0, "co-text": 120.0}


@dataclass(frozen=True, slots=True)
class Layer:
    """One behaviour's inputs: its actions, its edges with significance, and their window.

    ``evidence`` is False for a layer whose items are not a behaviour's own (the combined
    layer): its pairs count in the graph, but their evidence is taken from the behaviours.
    """

    actions: pa.Table
    edges: pa.Table
    window: float
    evidence: bool = True


def combined_actions(actions: Mapping[str, pa.Table]) -> pa.Table:
    """All behaviours' actions as one table, items prefixed by their behaviour.

    A pair that co-acts once in each of three behaviours never reaches ``min_weight`` in any
    of them; in the combined layer it has three co-actions. The ``behaviour`` column keeps
    the significance strata per behaviour (a URL and a reposted post are not exchangeable).
    """
    parts = []
    for name, table in actions.items():
        n = table.num_rows
        label = pa.array([name] * n, pa.string())
        item = pc.binary_join_element_wise(label, table.column("item"), "\x1f")
        parts.append(
            pa.table(
                {
                    "account_id": table.column("account_id"),
                    "item": item,
                    "at": table.column("at"),
                    "post_id": table.column("post_id"),
                    "behaviour": label,
                }
            )
        )
    if not parts:
        return pa.table(
            {
                "account_id": pa.array([], pa.string()),
                "item": pa.array([], pa.string()),
                "at": pa.array([], _TS),
                "post_id": pa.array([], pa.string()),
                "behaviour": pa.array([], pa.string()),
            }
        )
    return pa.concat_tables(parts)


@dataclass(frozen=True, slots=True)
class CampaignResult:
    """Campaigns, members and evidence, with the scored edges and the settings behind them."""

    campaigns: pa.Table
    members: pa.Table
    evidence: pa.Table
    edges: dict[str, pa.Table]
    params: dict[str, Any] = field(default_factory=dict)

    def labels(self) -> dict[str, str]:
        """Account id -> campaign id for every flagged account."""
        return dict(
            zip(
                self.members.column("account_id").to_pylist(),
                self.members.column("campaign_id").to_pylist(),
                strict=True,
            )
        )


def campaign_id(accounts: Sequence[str]) -> str:
    """A stable id for a set of accounts: the same members always give the same id."""
    digest = hashlib.sha1("\n".join(sorted(accounts)).encode(), usedforsecurity=False)
    return "cmp-" + digest.hexdigest()[:12]


def find_campaigns(
    db: Database,
    behaviours: Mapping[str, float] | Sequence[str] | None = None,
    *,
    min_weight: int = 2,
    alpha: float = 0.01,
    combine: bool = True,
    resolution: float = 1.0,
    min_accounts: int = 3,
    score_cap: float = 30.0,
    evidence_per_campaign: int = 30,
    random_state: int = 0,
    write: bool = True,
) -> CampaignResult:
    """Find candidate campaigns in the store and (by default) write them back to it.

    ``behaviours`` names the behaviours to use, optionally with each one's window in
    seconds (default: every behaviour with its default window). The other settings are
    those of ``campaigns_from_actions``. Writes the tables ``campaigns``,
    ``campaign_members`` and ``campaign_evidence`` in one transaction each when ``write``.
    """
    # Imported here, not at the top: the behaviours module is written alongside this one.
    from limelight.detect.coordination import _behaviours

    windows = DEFAULT_WINDOWS
    if behaviours is None:
        chosen = dict(windows)
    elif isinstance(behaviours, Mapping):
        chosen = {b: float(w) for b, w in behaviours.items()}
    else:
        unknown = [b for b in behaviours if b not in windows]
        if unknown:
            raise InputError(
                f"unknown behaviour {', '.join(unknown)}; choose from {', '.join(windows)}"
            )
        chosen = {b: windows[b] for b in behaviours}
    inputs = {b: (_behaviours.actions(db, b), w) for b, w in chosen.items()}
    result = campaigns_from_actions(
        inputs,
        min_weight=min_weight,
        alpha=alpha,
        combine=combine,
        resolution=resolution,
        min_accounts=min_accounts,
        score_cap=score_cap,
        evidence_per_campaign=evidence_per_campaign,
        random_state=random_state,
    )
    if write:
        db.replace_table("campaigns", result.campaigns)
        db.replace_table("campaign_members", result.members)
        db.replace_table("campaign_evidence", result.evidence)
    return result


def campaigns_from_actions(
    actions: Mapping[str, tuple[pa.Table, float]],
    *,
    min_weight: int = 2,
    alpha: float = 0.01,
    combine: bool = True,
    resolution: float = 1.0,
    min_accounts: int = 3,
    score_cap: float = 30.0,
    evidence_per_campaign: int = 30,
    random_state: int = 0,
) -> CampaignResult:
    """Campaigns from each behaviour's actions table and window (seconds), without a store.

    ``min_weight`` (default 2: one shared action is what strangers do) filters edges before
    testing; ``alpha`` (default 0.01) is the false discovery rate of significant edges;
    ``combine`` adds the combined layer (``combined_actions``, with the widest window) so
    that pairs that co-act a little in each of several behaviours are tested on their sum;
    the rest goes to ``campaigns_from_layers``.
    """

    def layer(acts: pa.Table, window: float, evidence: bool = True) -> Layer:
        edges = co_action_edges(acts, window, min_weight)
        return Layer(acts, edge_significance(edges, acts, window, alpha=alpha), window, evidence)

    layers = {name: layer(acts, window) for name, (acts, window) in actions.items()}
    if combine and len(actions) > 1:
        widest = max(window for _, window in actions.values())
        joint = combined_actions({name: acts for name, (acts, _) in actions.items()})
        layers[COMBINED] = layer(joint, widest, evidence=False)
    result = campaigns_from_layers(
        layers,
        resolution=resolution,
        min_accounts=min_accounts,
        score_cap=score_cap,
        evidence_per_campaign=evidence_per_campaign,
        random_state=random_state,
    )
    result.params.update(
        min_weight=min_weight,
        alpha=alpha,
        combine=combine,
        windows={name: window for name, (_, window) in actions.items()},
    )
    return result


def campaigns_from_layers(
    layers: Mapping[str, Layer],
    *,
    resolution: float = 1.0,
    min_accounts: int = 3,
    score_cap: float = 30.0,
    evidence_per_campaign: int = 30,
    random_state: int = 0,
) -> CampaignResult:
    """Cluster already scored edges into campaigns (the part after significance testing).

    Useful when the edges come from elsewhere (a shard, a cached run); each layer's edges
    must carry the columns of ``edge_significance``. ``resolution`` (default 1.0, classic
    modularity) and ``random_state`` go to Leiden; a campaign needs ``min_accounts``
    accounts (default 3: a pair is reported by its edge, a group is a campaign); scores are
    capped at ``score_cap`` per pair and layer; ``evidence_per_campaign`` co-actions are
    kept per campaign (at most three per pair and behaviour, the closest in time).
    """
    if min_accounts < 2:
        raise InputError(f"min_accounts {min_accounts} must be 2 or more; the default is 3")
    kept = {name: significant_edges(layer.edges) for name, layer in layers.items()}
    graph = multiplex_graph(kept, score_cap=score_cap)
    groups = leiden_communities(
        graph, resolution=resolution, min_accounts=min_accounts, random_state=random_state
    )
    params: dict[str, Any] = {
        "behaviours": [name for name, layer in layers.items() if layer.evidence],
        "layers": list(layers),
        "resolution": resolution,
        "min_accounts": min_accounts,
        "score_cap": score_cap,
        "evidence_per_campaign": evidence_per_campaign,
        "random_state": random_state,
    }
    edges = {name: layer.edges for name, layer in layers.items()}
    if not groups:
        return CampaignResult(
            CAMPAIGN_SCHEMA.empty_table(),
            MEMBER_SCHEMA.empty_table(),
            EVIDENCE_SCHEMA.empty_table(),
            edges,
            params,
        )
    labels = pa.table(
        {
            "account_id": [a for g in groups for a in g],
            "campaign_id": [campaign_id(g) for g in groups for _ in g],
        }
    )
    pairs = _internal_pairs(kept, labels, score_cap)
    co = _pair_co_actions(layers, pairs)
    tables = _summarise(labels, pairs, co, evidence_per_campaign)
    return CampaignResult(*tables, edges, params)


def _internal_pairs(kept: Mapping[str, pa.Table], labels: pa.Table, cap: float) -> pa.Table:
    """Member pairs with a significant edge in any layer, and their summed capped score."""
    parts = [
        t.select(["source", "target", "score"]).append_column(
            "layer", pa.array([name] * t.num_rows, pa.string())
        )
        for name, t in kept.items()
    ]
    conn = duckdb.connect()
    try:
        conn.register("_labels", labels)
        conn.register("_kept", pa.concat_tables(parts))
        return conn.sql(
            f"""
            SELECT ls.campaign_id, k.source, k.target,
                   list_sum(list(least(k.score, {float(cap)}) ORDER BY k.layer)) AS pair_score
            FROM _kept k
            JOIN _labels ls ON ls.account_id = k.source
            JOIN _labels lt ON lt.account_id = k.target AND lt.campaign_id = ls.campaign_id
            GROUP BY ALL ORDER BY ALL
            """
        ).to_arrow_table()
    finally:
        conn.close()


def _pair_co_actions(layers: Mapping[str, Layer], pairs: pa.Table) -> pa.Table:
    """The co-actions of member pairs in every behaviour, tagged with the behaviour."""
    parts = []
    for name, layer in layers.items():
        if not layer.evidence:
            continue
        found = co_actions(pairs, layer.actions, layer.window)
        parts.append(
            found.append_column("behaviour", pa.array([name] * found.num_rows, pa.string()))
        )
    return pa.concat_tables(parts)


def _summarise(
    labels: pa.Table, pairs: pa.Table, co: pa.Table, per_campaign: int
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """The three output tables, computed set-based over member pairs and their co-actions."""
    conn = duckdb.connect()
    try:
        conn.execute("SET TimeZone = 'UTC'")
        for name, table in (("_labels", labels), ("_pairs", pairs), ("_co", co)):
            conn.register(name, table)
        conn.execute(_SUMMARY_SQL.format(per_campaign=int(per_campaign)))
        campaigns = conn.sql("SELECT * FROM _campaigns ORDER BY rank").to_arrow_table()
        members = conn.sql(
            "SELECT m.* FROM _members m JOIN _campaigns c USING (campaign_id) "
            "ORDER BY c.rank, m.score DESC, m.account_id"
        ).to_arrow_table()
        evidence = conn.sql(
            "SELECT e.* FROM _evidence e JOIN _campaigns c USING (campaign_id) ORDER BY c.rank, e.k"
        ).to_arrow_table()
    finally:
        conn.close()
    return (
        campaigns.select(CAMPAIGN_SCHEMA.names).cast(CAMPAIGN_SCHEMA),
        members.select(MEMBER_SCHEMA.names).cast(MEMBER_SCHEMA),
        evidence.select(EVIDENCE_SCHEMA.names).cast(EVIDENCE_SCHEMA),
    )


_SUMMARY_SQL = """
CREATE TEMP TABLE _size AS
    SELECT campaign_id, count(*) AS n FROM _labels GROUP BY campaign_id;
CREATE TEMP TABLE _cox AS
    SELECT l.campaign_id, co.*,
           abs(epoch_us(co.target_at) - epoch_us(co.source_at)) / 1e6 AS seconds_apart
    FROM _co co JOIN _labels l ON l.account_id = co.source;
CREATE TEMP TABLE _ends AS
    SELECT campaign_id, source AS account_id, target AS partner, pair_score FROM _pairs
    UNION ALL
    SELECT campaign_id, target, source, pair_score FROM _pairs;
CREATE TEMP TABLE _acted AS
    SELECT campaign_id, source AS account_id, behaviour FROM _cox
    UNION
    SELECT campaign_id, target, behaviour FROM _cox;
CREATE TEMP TABLE _members AS
    SELECT l.campaign_id, l.account_id,
           coalesce(e.total, 0) / (s.n - 1) AS score,
           coalesce(e.partners, 0) AS n_partners,
           coalesce(b.behaviours, []) AS behaviours
    FROM _labels l JOIN _size s USING (campaign_id)
    LEFT JOIN (SELECT campaign_id, account_id,
                      list_sum(list(pair_score ORDER BY partner)) AS total,
                      count(*) AS partners
               FROM _ends GROUP BY ALL) e USING (campaign_id, account_id)
    LEFT JOIN (SELECT campaign_id, account_id, list(behaviour ORDER BY behaviour) AS behaviours
               FROM _acted GROUP BY ALL) b USING (campaign_id, account_id);
CREATE TEMP TABLE _top AS
    SELECT campaign_id, list(item ORDER BY n DESC, item)[1:10] AS top_items
    FROM (SELECT campaign_id, item, count(DISTINCT acc) AS n
          FROM _cox, unnest([source, target]) AS u(acc) GROUP BY ALL)
    GROUP BY campaign_id;
CREATE TEMP TABLE _campaigns AS
    SELECT s.campaign_id,
           row_number() OVER (ORDER BY coalesce(p.total, 0) / (s.n * (s.n - 1) / 2) DESC,
                              s.n DESC, s.campaign_id) AS rank,
           coalesce(p.total, 0) / (s.n * (s.n - 1) / 2) AS score,
           s.n AS n_accounts, coalesce(p.n_pairs, 0) AS n_pairs,
           coalesce(t.behaviours, []) AS behaviours,
           t.first_at, t.last_at,
           coalesce(tp.top_items, []) AS top_items,
           a.accounts
    FROM _size s
    LEFT JOIN (SELECT campaign_id, list_sum(list(pair_score ORDER BY source, target)) AS total,
                      count(*) AS n_pairs
               FROM _pairs GROUP BY campaign_id) p USING (campaign_id)
    LEFT JOIN (SELECT campaign_id, min(least(source_at, target_at)) AS first_at,
                      max(greatest(source_at, target_at)) AS last_at,
                      list(DISTINCT behaviour ORDER BY behaviour) AS behaviours
               FROM _cox GROUP BY campaign_id) t USING (campaign_id)
    LEFT JOIN _top tp USING (campaign_id)
    JOIN (SELECT campaign_id, list(account_id ORDER BY account_id) AS accounts
          FROM _labels GROUP BY campaign_id) a USING (campaign_id);
-- Evidence: the closest co-actions of the strongest pairs, at most three per pair and
-- behaviour, then the best per campaign.
CREATE TEMP TABLE _evidence AS
    SELECT * FROM (
        SELECT *, row_number() OVER (
            PARTITION BY campaign_id
            ORDER BY pair_score DESC, seconds_apart, behaviour, item, account_a, account_b
        ) AS k
        FROM (
            SELECT c.campaign_id, c.behaviour, c.item,
                   c.source AS account_a, c.source_post_id AS post_a, c.source_at AS at_a,
                   c.target AS account_b, c.target_post_id AS post_b, c.target_at AS at_b,
                   c.seconds_apart, p.pair_score,
                   row_number() OVER (
                       PARTITION BY c.behaviour, c.source, c.target
                       ORDER BY c.seconds_apart, c.item
                   ) AS j
            FROM _cox c JOIN _pairs p USING (campaign_id, source, target))
        WHERE j <= 3)
    WHERE k <= {per_campaign};
"""
