"""`limelight content` (techniques, AI-written text, narratives over the store),
`limelight text` (the same signals for a JSONL file of texts), `limelight distill` and
`limelight train content` (rebuild the shipped content heads).

Thin shells over ``limelight.detect.content``; the tables they write are described in
docs/schema.md and the models in docs/models/persuasion.md and docs/models/ai_text.md.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from limelight.cli._common import DbOption, console, err_console, handle_errors, print_json
from limelight.cli._scale import AddressOption, EngineOption, chosen_engine
from limelight.errors import InputError
from limelight.store import Database

__all__ = ["register"]


AiEncoderOption = Annotated[
    bool,
    typer.Option(
        "--ai-encoder/--no-ai-encoder",
        help="Score AI-written text with the fine-tuned MiniLM blended in (more accurate); "
        "--no-ai-encoder keeps the n-gram head alone, about ten times faster on a CPU.",
    ),
]

FastTechniquesOption = Annotated[
    bool,
    typer.Option(
        "--fast-techniques/--minilm-techniques",
        help="Find persuasion techniques with the fast head (static token vectors distilled "
        "from MiniLM: hundreds of posts a second on a CPU, no torch) instead of the MiniLM "
        "head (the default; see docs/models/persuasion.md for both heads' F1).",
    ),
]


@handle_errors
def content(
    db: DbOption = Path("limelight.duckdb"),
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, help="Analyse only the newest N posts with text."),
    ] = None,
    min_posts: Annotated[
        int,
        typer.Option("--min-posts", min=1, help="Posts an account needs for an AI-text finding."),
    ] = 5,
    persuasion_model: Annotated[
        Path | None,
        typer.Option(
            "--persuasion-model",
            help="A persuasion head .npz (e.g. from `limelight distill`; default: shipped).",
            dir_okay=False,
        ),
    ] = None,
    use_llm: Annotated[
        bool,
        typer.Option(
            "--llm", help="Label techniques with the configured LLM endpoint (see docs/llm.md)."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
    ai_encoder: AiEncoderOption = True,
    fast_techniques: FastTechniquesOption = False,
    fast: Annotated[
        bool,
        typer.Option(
            "--fast",
            help="Load no torch model: the fast techniques head, the n-gram AI-text head "
            "alone, and narratives clustered on the static token vectors (thousands of posts "
            "a second on a CPU; overrides --ai-encoder and --minilm-techniques).",
        ),
    ] = False,
    engine: EngineOption = None,
    address: AddressOption = None,
) -> None:
    """Find persuasion techniques, AI-written posts and narratives in the store's posts."""
    from limelight.detect.content import (
        AiTextModel,
        LLMPersuasionLabeller,
        PersuasionModel,
        run_content,
    )
    from limelight.llm import LLMClient, LLMSettings
    from limelight.scale import RayLLMClient

    if not db.exists():
        raise InputError(
            f"{db}: no such database; create it with `limelight ingest FILE --db {db}`"
        )
    if persuasion_model is not None and not persuasion_model.is_file():
        raise InputError(f"{persuasion_model}: no such model file; give a .npz head")
    ray_engine = chosen_engine(engine, address)
    # On Ray, the embeddings and the local classifiers run on actors (RayEngine.content).
    run = ray_engine.content if ray_engine is not None else run_content
    ai_text = AiTextModel(use_encoder=ai_encoder and not fast)
    with Database(db) as store:
        if not store.has_table("posts") or store.count("posts") == 0:
            raise InputError(f"{db}: the store holds no posts; ingest data first")
        if use_llm:
            settings = LLMSettings.from_env()
            with (
                LLMClient(settings, store=store)
                if ray_engine is None
                else RayLLMClient(settings, store=store, engine=ray_engine)
            ) as client:
                result = run(
                    store,
                    limit=limit,
                    min_posts=min_posts,
                    persuasion=LLMPersuasionLabeller(client),
                    ai_text=ai_text,
                    fast=fast,
                )
        else:
            local = PersuasionModel(model_path=persuasion_model, fast=fast_techniques or fast)
            result = run(
                store,
                limit=limit,
                min_posts=min_posts,
                persuasion=local,
                ai_text=ai_text,
                fast=fast,
            )
    summary = _summary(result.tables, result.params)
    if as_json:
        print_json(summary)
        return
    table = Table(title="content signals")
    for col in ("posts", "technique hits", "AI-written posts", "AI accounts", "narratives"):
        table.add_column(col, justify="right")
    table.add_row(
        str(summary["posts"]),
        str(summary["technique_hits"]),
        str(summary["ai_written_posts"]),
        str(summary["ai_accounts"]),
        str(summary["narratives"]),
    )
    console.print(table)
    for name, count in list(summary["techniques"].items())[:5]:
        console.print(f"{name}: {count} posts", highlight=False)
    console.print(
        "stored in tables post_techniques, post_ai_text, account_ai_text, narratives, "
        f"narrative_posts of {db}",
        highlight=False,
    )


def _summary(tables: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    techniques: dict[str, int] = {}
    for name in tables["post_techniques"].column("technique").to_pylist():
        techniques[name] = techniques.get(name, 0) + 1
    return {
        "posts": params["posts"],
        "technique_hits": tables["post_techniques"].num_rows,
        "techniques": dict(sorted(techniques.items(), key=lambda kv: -kv[1])),
        "ai_written_posts": sum(tables["post_ai_text"].column("ai_written").to_pylist()),
        "ai_accounts": sum(tables["account_ai_text"].column("finding").to_pylist()),
        "narratives": tables["narratives"].num_rows,
        "models": {
            "persuasion": params["persuasion_model"],
            "ai_text": params["ai_text_model"],
            "narratives": params["narratives"]["embedder"],
        },
    }


@handle_errors
def train_content(
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            help="The labelled data folder (semeval2020-t11-ptc, semeval2021-t6-memes, tweepfake).",
            file_okay=False,
            envvar="LIMELIGHT_SHARED_DATA",
        ),
    ] = Path("../shared/data"),
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir",
            help="Where to write persuasion.npz, static_minilm.npz, persuasion_fast.npz and "
            "ai_text.npz (default: the shipped models).",
            file_okay=False,
        ),
    ] = None,
    cache: Annotated[
        Path | None,
        typer.Option(
            "--cache",
            help="Folder to cache training-set embeddings in (skips re-embedding next time).",
            file_okay=False,
        ),
    ] = None,
    use_ptc: Annotated[
        bool,
        typer.Option(
            "--ptc/--no-ptc",
            help="Also learn from SemEval-2020 Task 11 news sentences (not in the shipped head).",
        ),
    ] = False,
    tweet_negatives: Annotated[
        int,
        typer.Option(
            "--tweet-negatives",
            min=0,
            help="Ordinary tweets added as weak negatives to the persuasion head (the shipped "
            "head: 1000; 0 trains on the memes alone, see its model card).",
        ),
    ] = 1000,
    ai_encoder: Annotated[
        bool,
        typer.Option(
            "--ai-encoder/--no-ai-encoder",
            help="Also fine-tune a MiniLM adapter for AI text and blend it with the n-gram head "
            "(minutes on a GPU, hours on a busy CPU; see docs/models/ai_text.md).",
        ),
    ] = False,
    device: Annotated[
        str,
        typer.Option("--device", help="Where to fine-tune the adapter: cpu or cuda."),
    ] = "cpu",
    tune_limit: Annotated[
        int | None,
        typer.Option(
            "--tune-limit", min=64, help="Fine-tune on at most this many training tweets."
        ),
    ] = None,
    fast: Annotated[
        bool,
        typer.Option(
            "--fast/--no-fast",
            help="Also distil static token vectors from the shipped MiniLM and train the fast "
            "techniques head on them (static_minilm.npz, persuasion_fast.npz; a few minutes).",
        ),
    ] = True,
    fast_only: Annotated[
        bool,
        typer.Option(
            "--fast-only",
            help="Rebuild only the static vectors and the fast techniques head (no MiniLM "
            "embedding of the training sets; about two minutes on a quiet CPU).",
        ),
    ] = False,
) -> None:
    """Rebuild the persuasion and AI-text heads; print their dev and validation figures."""
    from limelight.detect.content import (
        FAST_PERSUASION_C,
        FAST_PERSUASION_SPEC,
        PersuasionSettings,
        default_persuasion_path,
        distill_static,
        train_ai_text,
        train_ai_text_encoder,
        train_persuasion,
    )
    from limelight.embed import model_path

    if not data.is_dir():
        raise InputError(f"{data}: no such folder; give the labelled data folder with --data")
    target = out_dir or default_persuasion_path().parent
    if not fast_only:
        persuasion = train_persuasion(
            data,
            cache_dir=cache,
            settings=PersuasionSettings(use_ptc=use_ptc, tweet_negatives=tweet_negatives),
        )
        persuasion.save(target / "persuasion.npz")
        _print_persuasion(persuasion.version, persuasion.report)
    if fast or fast_only:
        static = distill_static(model_path(), dims=FAST_PERSUASION_SPEC.embedding_dim)
        static.save(target / "static_minilm.npz")
        fast_head = train_persuasion(
            data,
            settings=PersuasionSettings(
                spec=FAST_PERSUASION_SPEC,
                c=FAST_PERSUASION_C,
                use_ptc=use_ptc,
                tweet_negatives=tweet_negatives,
            ),
            static=static,
        )
        fast_head.save(target / "persuasion_fast.npz")
        _print_persuasion(f"fast {fast_head.version} on {static.version}", fast_head.report)
        if fast_only:
            console.print(
                f"wrote static_minilm.npz and persuasion_fast.npz in {target}", highlight=False
            )
            return
    ai_text = train_ai_text(data)
    ai_text.save(target / "ai_text.npz")
    valid = ai_text.report["validation"]
    per = ", ".join(f"{g} {r['accuracy']:.3f}" for g, r in valid["per_generator"].items())
    console.print(
        f"ai_text {ai_text.version}: validation accuracy {valid['accuracy']:.3f} ({per})",
        highlight=False,
    )
    written = ["persuasion.npz", "ai_text.npz"]
    if fast:
        written[1:1] = ["static_minilm.npz", "persuasion_fast.npz"]
    console.print(f"wrote {', '.join(written)} in {target}", highlight=False)
    if ai_encoder:
        encoder = train_ai_text_encoder(
            data,
            ai_text,
            tune_limit=tune_limit,
            device=device,
            progress=lambda line: console.print(line, highlight=False),
        )
        encoder.save(target / "ai_text_encoder.npz")
        blended = encoder.report["validation"]["blended"]
        per = ", ".join(f"{g} {r['accuracy']:.3f}" for g, r in blended["per_generator"].items())
        console.print(
            f"ai_text encoder {encoder.version}: blended validation accuracy "
            f"{blended['accuracy']:.3f} ({per}); wrote {target / 'ai_text_encoder.npz'}",
            highlight=False,
        )


def _print_persuasion(name: str, report: dict[str, Any]) -> None:
    dev = report["dev"]
    console.print(
        f"persuasion {name}: out-of-fold micro-F1 {report['out_of_fold_micro_f1']:.3f}, "
        f"dev micro-F1 {dev['micro_f1']:.3f}, macro-F1 {dev['macro_f1']:.3f} (baseline top-3 "
        f"micro-F1 {report['baselines']['top-3']['micro_f1']:.3f})",
        highlight=False,
    )


@dataclass(frozen=True, slots=True)
class _BadLine:
    """A line of a ``text`` input that could not be scored, and why."""

    item_id: Any
    line: int
    reason: str


def _read_jsonl(path: Path) -> tuple[list[Any], list[str], list[int | _BadLine]]:
    """The ids and texts of the good lines, and every non-empty line in order: the
    position of its text, or why it has none."""
    ids: list[Any] = []
    texts: list[str] = []
    order: list[int | _BadLine] = []
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror}); give a JSONL file") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError:
            order.append(_BadLine(number, number, "not JSON"))
            continue
        item_id = item.get("id", number) if isinstance(item, dict) else number
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            order.append(_BadLine(item_id, number, 'no "text" string'))
            continue
        order.append(len(texts))
        ids.append(item_id)
        texts.append(item["text"])
    return ids, texts, order


@handle_errors
def text(
    file: Annotated[Path, typer.Argument(help='A JSONL file: one {"id", "text"} object per line.')],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the results here (default: stdout).", dir_okay=False),
    ] = None,
    ai_encoder: AiEncoderOption = True,
    fast_techniques: FastTechniquesOption = False,
) -> None:
    """Techniques and AI-written scores for each line of a JSONL file (no store needed)."""
    from limelight.detect.content import AiTextModel, PersuasionModel
    from limelight.embed import embed_texts

    ids, texts, order = _read_jsonl(file)
    bad = [b for b in order if isinstance(b, _BadLine)]
    if bad and not texts:
        raise InputError(
            f"{file}:{bad[0].line}: {bad[0].reason}, and no line has an object with a text; "
            'give one {"id", "text"} object per line'
        )
    persuasion = PersuasionModel(fast=fast_techniques)
    vectors = embed_texts(texts) if persuasion.reads_minilm else None
    hits = persuasion.find(texts, vectors)
    scores = AiTextModel(use_encoder=ai_encoder).score(texts, vectors)
    scored = [
        orjson.dumps(
            {
                "id": item_id,
                "techniques": [
                    {
                        "label": h.technique,
                        "score": round(h.score, 4),
                        "span_start": h.span_start,
                        "span_end": h.span_end,
                    }
                    for h in found
                ],
                "ai_generated": round(sc.ai_score, 4),
                "ai_model_score": round(sc.model_score, 4),
                "ai_rule": sc.rule,
                "ai_phrase": sc.phrase,
            }
        )
        for item_id, found, sc in zip(ids, hits, scores, strict=True)
    ]
    # One output line per input line, a line that could not be read with its reason.
    lines = [
        scored[o]
        if isinstance(o, int)
        else orjson.dumps({"id": o.item_id, "line": o.line, "error": o.reason})
        for o in order
    ]
    for o in bad[:3]:
        err_console.print(
            f"[yellow]warning:[/yellow] {file}:{o.line}: {o.reason}; written as an error line",
            highlight=False,
            soft_wrap=True,
        )
    if bad:
        err_console.print(
            f"{len(texts)} lines scored, {len(bad)} could not be read (their output lines "
            'carry "error")',
            highlight=False,
        )
    body = b"".join(line + b"\n" for line in lines)
    if out is None:
        sys.stdout.write(body.decode())
        sys.stdout.flush()
        return
    try:
        out.write_bytes(body)
    except OSError as exc:
        raise InputError(f"{out}: cannot write it ({exc.strerror}); choose another --out") from None


@handle_errors
def distill(
    db: DbOption = Path("limelight.duckdb"),
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Where to write the distilled persuasion head (.npz).", dir_okay=False
        ),
    ] = Path("persuasion-distilled.npz"),
    sample: Annotated[
        int, typer.Option("--sample", min=10, help="Posts the LLM labels for the student.")
    ] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sample and the folds.")] = 0,
) -> None:
    """Label a sample of the store's posts with the configured LLM and train a local head."""
    from limelight.detect.content import LLMPersuasionLabeller, distill_persuasion
    from limelight.llm import LLMClient, LLMSettings

    if not db.exists():
        raise InputError(
            f"{db}: no such database; create it with `limelight ingest FILE --db {db}`"
        )
    with Database(db) as store:
        posts = store.arrow(
            "SELECT DISTINCT text FROM posts WHERE kind NOT IN ('repost', 'like') "
            "AND text IS NOT NULL AND length(trim(text)) > 0 "
            "ORDER BY hash(text || ?), text LIMIT ?",
            [str(seed), sample],
        )
        texts = [str(t) for t in posts.column("text").to_pylist()]
        if not texts:
            raise InputError(f"{db}: the store holds no posts with text; ingest data first")
        with LLMClient(LLMSettings.from_env(), store=store) as client:
            labeller = LLMPersuasionLabeller(client)
            teacher = labeller.find(texts)
            usage = client.usage
    head = distill_persuasion(texts, teacher, teacher_name=labeller.version, random_state=seed)
    head.save(out)
    r = head.report
    console.print(
        f"distilled {head.version} from {r['posts']} posts labelled by {r['teacher']} "
        f"({r['unlabelled']} without a valid answer); out-of-fold agreement with the teacher: "
        f"micro-F1 {r['out_of_fold_micro_f1_vs_teacher']:.3f}, "
        f"macro-F1 {r['out_of_fold_macro_f1_vs_teacher']:.3f}; "
        f"{usage.total_tokens} tokens",
        highlight=False,
    )
    console.print(
        f"wrote {out}; use it with `limelight content --persuasion-model {out}`",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add `content`, `distill`, and `content` under the `train` group."""
    app.command("content")(content)
    app.command("text")(text)
    app.command("distill")(distill)
    for group in app.registered_groups:
        if group.name == "train" and group.typer_instance is not None:
            group.typer_instance.command("content")(train_content)
            return
    train = typer.Typer(
        help="Rebuild the models shipped with limelight from labelled data.", no_args_is_help=True
    )
    train.command("content")(train_content)
    app.add_typer(train, name="train")
