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

import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from limelight.detect.coordination._campaign_summary import campaign_tables
from limelight.detect.coordination._campaign_tables import (
    CAMPAIGN_SCHEMA,
    CAMPAIGN_TABLES,
    EVIDENCE_SCHEMA,
    MEMBER_SCHEMA,
    CampaignResult,
    campaign_id,
)
from limelight.detect.coordination._edges import EdgeJoin, co_action_edges
from limelight.detect.coordination._graph import leiden_communities, multiplex_graph
from limelight.detect.coordination._groups import GroupSeeds, add_seeds, group_seeds
from limelight.detect.coordination._layers import (
    COMBINED,
    Layer,
    build_layers,
    combined_actions,
)
from limelight.detect.coordination._membership import grow_campaigns
from limelight.detect.coordination._significance import significant_edges
from limelight.detect.coordination._stored import EdgeParams, now, replace_tables
from limelight.errors import InputError
from limelight.store import Database

__all__ = [
    "CAMPAIGN_SCHEMA",
    "CAMPAIGN_TABLES",
    "COMBINED",
    "DEFAULT_OPTIONS",
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
    "save_campaigns",
]

#: The behaviours ``find_campaigns`` runs by default, with their windows in seconds: a
#: minute for reposts (scripted amplification lands within seconds; CooRTweet and CNT use
#: 10-60 s), two minutes for links, texts and hashtags (typed or pasted, so a little
#: slower). Near-duplicate texts and single hashtags carry campaigns that paraphrase and
#: rotate their links (docs/campaigns.md, "Measured recovery").
DEFAULT_WINDOWS: dict[str, float] = {
    "co-repost": 60.0,
    "co-url": 120.0,
    "co-text": 120.0,
    "co-similar-text": 120.0,
    "co-hashtags": 120.0,
}

#: Options the default behaviours run with in campaigns: one shared hashtag is an action
#: (a campaign's tag), and word sets that share half their words are near-duplicates (the
#: null model, not the threshold, then decides whether sharing them is chance).
DEFAULT_OPTIONS: dict[str, dict[str, Any]] = {
    "co-similar-text": {"threshold": 0.5},
    "co-hashtags": {"min_size": 1},
}

#: Growth stops when a round adds nobody, after this many rounds at most.
_GROW_ROUNDS = 4

#: The group test's false discovery rate (``group_seeds``'s ``alpha``).
_GROUP_ALPHA = 0.01

#: Up to this many combined-layer actions the group test runs beside the combined layer's
#: join and test. At 1M generated posts (401,644 actions) that saved about 0.25 s of 6.5;
#: at 10M (4 million) the combined layer's join sets the run's memory peak, and a second
#: capped DuckDB connection beside it could push it past 4 GB, so larger runs start the
#: group test after the join, beside the significance test: at 10M, 13.7 s of group test
#: after 25.0 s of test became 34.2 s for both (campaigns 190.8 -> 178.0 s, peak 3,154 ->
#: 3,150 MB).
_SEEDS_BESIDE_ROWS = 1_000_000

#: Up to this many co-similar-text candidate posts, the other behaviours run beside its
#: clustering. At 1M generated posts (1.0M candidates) that took a run from 9.0-9.3 to
#: 7.4-7.8 s, peak 846 -> 761-772 MB; at 10M (10M candidates) from 151 to 145 s but 0.9 GB
#: higher (4.2 GB), past the 4 GB a run should stay within, so larger inputs go one at a
#: time.
_OVERLAP_ROWS = 4_000_000


def find_campaigns(
    db: Database,
    behaviours: Mapping[str, float] | Sequence[str] | None = None,
    *,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    min_weight: int = 2,
    alpha: float = 0.01,
    combine: bool = True,
    resolution: float = 1.0,
    min_accounts: int = 3,
    score_cap: float = 30.0,
    evidence_per_campaign: int = 30,
    random_state: int = 0,
    group_test: bool = True,
    write: bool = True,
    join: EdgeJoin = co_action_edges,
) -> CampaignResult:
    """Find candidate campaigns in the store and (by default) write them back to it.

    ``behaviours`` names the behaviours to use, optionally with each one's window in
    seconds (default: ``DEFAULT_WINDOWS``; a behaviour named without a window gets its
    entry there, else its own default). ``options`` gives behaviours their options, e.g.
    ``{"co-similar-text": {"method": "embedding"}}``. The other settings are those of
    ``campaigns_from_actions``. With ``write``, one transaction replaces the tables
    ``campaigns``, ``campaign_members``, ``campaign_evidence`` and each layer's scored
    edges (``edges_<behaviour>``, ``edges_combined``) with their ``edge_params`` rows, so
    a failure part way leaves the previous run's tables. ``join`` turns actions into edges
    (``co_action_edges``; ``limelight.scale`` passes the same join run per shard on Ray).
    """
    from limelight.detect.coordination._behaviours import get_behaviour, start_shared_actions

    chosen = _windows(behaviours, get_behaviour)
    given = {b: dict(o) for b, o in DEFAULT_OPTIONS.items() if b in chosen}
    for b, o in (options or {}).items():
        given.setdefault(get_behaviour(b).name, {}).update(o)
    stray = sorted(set(given) - set(chosen))
    if stray:
        raise InputError(
            f"options for {', '.join(stray)}, which this run does not use; add it to the "
            f"behaviours or drop its options"
        )
    stamp = now()
    # co-similar-text's MinHash clustering (half of a run) goes on a thread and the other
    # behaviours are read and joined beside it, up to _OVERLAP_ROWS candidate posts
    # (docs/coordination.md, "Speed"). Each store read is on this thread, one behaviour's
    # actions at a time, each cut to shared items before the next.
    started: dict[str, Future[tuple[pa.Table, int]]] = {}
    with ThreadPoolExecutor(max_workers=1) as pool:
        for b in sorted(chosen, key=lambda b: b != "co-similar-text"):  # the slow one first
            started[b] = start_shared_actions(
                db, b, pool, window=chosen[b], max_rows=_OVERLAP_ROWS, **given.get(b, {})
            )
            db.release_memory()  # what DuckDB kept from reading the posts
        result = campaigns_from_actions(
            {b: (_waiting(started[b]), w) for b, w in chosen.items()},
            min_weight=min_weight,
            alpha=alpha,
            combine=combine,
            resolution=resolution,
            min_accounts=min_accounts,
            score_cap=score_cap,
            evidence_per_campaign=evidence_per_campaign,
            random_state=random_state,
            group_test=group_test,
            join=join,
        )
    inputs = {b: (started[b].result()[0], w) for b, w in chosen.items()}
    counts = {b: started[b].result()[1] for b in chosen}
    result.params["computed_at"] = stamp.isoformat()
    result.params["options"] = given
    if write:
        save_campaigns(db, result, inputs, options=given, computed_at=stamp, n_actions=counts)
    return result


def _waiting(started: Future[tuple[pa.Table, int]]) -> pa.Table | Callable[[], pa.Table]:
    """A behaviour's actions if ready, else a function that waits for them (``build_layers``)."""
    if started.done():
        return started.result()[0]
    return lambda: started.result()[0]


def _windows(
    behaviours: Mapping[str, float] | Sequence[str] | None, get_behaviour: Any
) -> dict[str, float]:
    """Behaviour name -> window, checked against the registry."""
    if behaviours is None:
        return dict(DEFAULT_WINDOWS)
    if isinstance(behaviours, Mapping):
        named = {b: float(w) for b, w in behaviours.items()}
    else:
        named = {b: DEFAULT_WINDOWS.get(get_behaviour(b).name, float("nan")) for b in behaviours}
    out = {}
    for name, window in named.items():
        spec = get_behaviour(name)
        out[spec.name] = spec.window if window != window else window  # NaN: its own default
    return out


def save_campaigns(
    db: Database,
    result: CampaignResult,
    inputs: Mapping[str, tuple[pa.Table, float]],
    *,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    computed_at: datetime | None = None,
    n_actions: Mapping[str, int] | None = None,
) -> None:
    """Write a campaigns run to the store in one transaction (see ``find_campaigns``).

    ``inputs`` are the behaviours' actions and windows the result came from; they give
    each stored edge table its ``edge_params`` row (stage ``campaigns``); ``n_actions``
    gives each behaviour's number of actions when ``inputs`` hold fewer (``find_campaigns``
    keeps only actions on shared items).
    """
    from limelight.detect.coordination._behaviours import get_behaviour, resolve_options
    from limelight.detect.coordination._result import edge_table_name

    stamp = computed_at or now()
    options_given = options
    n_actions_given = n_actions
    tables: dict[str, pa.Table] = {}
    params = []
    run: dict[str, Any] = {k: result.params[k] for k in ("alpha", "combine") if k in result.params}
    for name, edges in result.edges.items():
        if name in inputs:
            acts, window = inputs[name]
            count = (n_actions_given or {}).get(name, acts.num_rows)
            layer_options: dict[str, Any] = resolve_options(
                get_behaviour(name), (options_given or {}).get(name, {})
            )
        else:  # the combined layer
            window = max(w for _, w in inputs.values())
            count = sum((n_actions_given or {}).get(b, a.num_rows) for b, (a, _) in inputs.items())
            layer_options = {"behaviours": sorted(inputs)}
        table_name = edge_table_name(name)
        tables[table_name] = edges
        params.append(
            EdgeParams(
                table_name=table_name,
                behaviour=name,
                method=str(layer_options.get("method", "exact")),
                window_s=None if math.isinf(window) else float(window),
                min_weight=int(result.params.get("min_weight", 2)),
                options={**layer_options, **run},
                n_actions=count,
                n_edges=edges.num_rows,
                stage="campaigns",
                computed_at=stamp,
            )
        )
    tables.update(
        campaigns=result.campaigns,
        campaign_members=result.members,
        campaign_evidence=result.evidence,
    )
    replace_tables(db, tables, params)


def campaigns_from_actions(
    actions: Mapping[str, tuple[pa.Table | Callable[[], pa.Table], float]],
    *,
    min_weight: int = 2,
    alpha: float = 0.01,
    combine: bool = True,
    resolution: float = 1.0,
    min_accounts: int = 3,
    score_cap: float = 30.0,
    evidence_per_campaign: int = 30,
    random_state: int = 0,
    group_test: bool = True,
    join: EdgeJoin = co_action_edges,
) -> CampaignResult:
    """Campaigns from each behaviour's actions table and window (seconds), without a store.

    ``min_weight`` (default 2: one shared action is what strangers do) filters edges before
    testing; ``alpha`` (default 0.01) is the false discovery rate of significant edges;
    ``combine`` adds the combined layer (``combined_actions``, with the widest window) so
    that pairs that co-act a little in each of several behaviours are tested on their sum;
    the rest goes to ``campaigns_from_layers``. A behaviour's actions may be a function
    that waits for them (``build_layers``).
    """

    seeds: list[Future[GroupSeeds]] = []
    with ThreadPoolExecutor(max_workers=1) as pool:

        def start_seeds(joint: pa.Table, window: float, joined: bool) -> None:
            # Beside the combined layer's join and test, which need not wait for them; a
            # large layer's join first (it sets the run's memory peak), then beside the test.
            if group_test and joined == (joint.num_rows > _SEEDS_BESIDE_ROWS):
                seeds.append(
                    pool.submit(
                        group_seeds,
                        joint,
                        window,
                        alpha=_GROUP_ALPHA,
                        min_accounts=min_accounts,
                        random_state=random_state,
                    )
                )

        layers = build_layers(
            actions,
            min_weight=min_weight,
            alpha=alpha,
            combine=combine,
            join=join,
            on_combined=start_seeds,
        )
        result = campaigns_from_layers(
            layers,
            resolution=resolution,
            min_accounts=min_accounts,
            score_cap=score_cap,
            evidence_per_campaign=evidence_per_campaign,
            random_state=random_state,
            group_test=group_test,
            seeds=seeds[0].result if seeds else None,
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
    grow: bool = True,
    grow_alpha: float = 0.01,
    group_test: bool = True,
    group_alpha: float = _GROUP_ALPHA,
    seeds: Callable[[], GroupSeeds] | None = None,
) -> CampaignResult:
    """Cluster already scored edges into campaigns (the part after significance testing).

    Useful when the edges come from elsewhere (a shard, a cached run); each layer's edges
    must carry the columns of ``edge_significance``. ``resolution`` (default 1.0, classic
    modularity) and ``random_state`` go to Leiden; a campaign needs ``min_accounts``
    accounts (default 3: a pair is reported by its edge, a group is a campaign); scores are
    capped at ``score_cap`` per pair and layer; ``evidence_per_campaign`` co-actions are
    kept per campaign (at most three per pair and behaviour, the closest in time).
    With ``grow`` (default on), each campaign then takes in the outside accounts tied to
    its members as a group beyond chance (``grow_campaigns``, false discovery rate
    ``grow_alpha``); their tested edges to members join the campaign's pairs and evidence.
    With ``group_test`` (default on, needs the combined layer), groups whose members
    co-act too rarely for any pair to pass are found and tested as groups on held-out
    items (``group_seeds``, ``group_alpha``) and join the cores before growth; their
    members' co-actions are evidence even where no pair has an edge. ``seeds`` gives
    that test's result when it was started elsewhere (``campaigns_from_actions`` runs it
    beside the combined layer's join), as a function that waits for it.
    """
    if min_accounts < 2:
        raise InputError(f"min_accounts {min_accounts} must be 2 or more; the default is 3")
    kept = {name: significant_edges(layer.edges) for name, layer in layers.items()}
    graph = multiplex_graph(kept, score_cap=score_cap)
    # Pairs are kept as cores while campaigns grow; the size limit applies afterwards.
    groups = leiden_communities(
        graph,
        resolution=resolution,
        min_accounts=2 if grow else min_accounts,
        random_state=random_state,
    )
    core = {a for g in groups for a in g}
    seeded: GroupSeeds | None = None
    if group_test and COMBINED in layers:
        combined = layers[COMBINED]
        seeded = (
            seeds()
            if seeds is not None
            else group_seeds(
                combined.actions,
                combined.window,
                alpha=group_alpha,
                min_accounts=min_accounts,
                random_state=random_state,
            )
        )
        if seeded.groups:
            groups = add_seeds(groups, seeded.groups, min_accounts=min_accounts)
    if grow and groups:
        tested = {COMBINED: layers[COMBINED].edges} if COMBINED in layers else None
        for _ in range(_GROW_ROUNDS):
            size = sum(len(g) for g in groups)
            groups = grow_campaigns(
                groups,
                tested or {name: layer.edges for name, layer in layers.items()},
                alpha=grow_alpha,
            )
            if sum(len(g) for g in groups) == size:
                break
    groups = [g for g in groups if len(g) >= min_accounts]
    if groups:
        kept = _with_grown(layers, kept, groups, core)
    params: dict[str, Any] = {
        "behaviours": [name for name, layer in layers.items() if layer.evidence],
        "layers": list(layers),
        "resolution": resolution,
        "min_accounts": min_accounts,
        "score_cap": score_cap,
        "evidence_per_campaign": evidence_per_campaign,
        "random_state": random_state,
        "grow": grow,
        "grow_alpha": grow_alpha,
        "group_test": group_test,
        "group_alpha": group_alpha,
        "group_seeds": seeded.summary() if seeded is not None else None,
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
    tables = campaign_tables(
        layers,
        kept,
        labels,
        score_cap=score_cap,
        per_campaign=evidence_per_campaign,
        linked=seeded.pairs if seeded is not None else None,
    )
    return CampaignResult(*tables, edges, params)


def _with_grown(
    layers: Mapping[str, Layer],
    kept: Mapping[str, pa.Table],
    groups: Sequence[Sequence[str]],
    core: set[str],
) -> dict[str, pa.Table]:
    """Significant edges plus the tested edges between grown members and their campaign."""
    label = {a: g for g, members in enumerate(groups) for a in members}
    grown = {a for a in label if a not in core}
    if not grown:
        return dict(kept)
    accounts = pa.array(list(label), pa.string())
    group = pa.array(list(label.values()), pa.int64())
    grown_set = pa.array(sorted(grown), pa.string())
    out = {}
    for name, layer in layers.items():
        t = layer.edges
        if t.num_rows == 0:
            out[name] = t
            continue
        src, dst = t.column("source"), t.column("target")
        same = pc.equal(
            pc.take(group, pc.index_in(src, value_set=accounts)),
            pc.take(group, pc.index_in(dst, value_set=accounts)),
        )
        touches = pc.or_(pc.is_in(src, value_set=grown_set), pc.is_in(dst, value_set=grown_set))
        mask = pc.or_(
            pc.fill_null(t.column("significant"), False),
            pc.fill_null(pc.and_(touches, same), False),
        )
        out[name] = t.filter(mask)
    return out
