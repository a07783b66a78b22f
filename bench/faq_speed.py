"""FAQ search latency as the FAQ grows: p50/p99 of one lookup at 10,000 and 100,000 entries, in
the default (semantic) mode unless ``BATON_FAQ_SEMANTIC=false``.

Entries are synthesised from the development sets' phrasings (English and Chinese) with about half
of their words swapped for others of the same language, so the token statistics look like a real
FAQ's rather than random strings. Each size is stored in a fresh SQLite file. The first index
build encodes every phrasing and answer and stores the vectors (``first_import_encode_s``). Then
a restarted Baton (a fresh process) builds its index from the stored vectors (``restart_s``,
``encoded_at_restart``) and searches the development questions through the same ``search`` call
chat uses, on one thread, timing each (wall-clock and CPU time); its RSS is printed. Prints JSON.

    python bench/faq_speed.py [--sizes 10000,100000] [--queries 1000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.cjk import is_cjk  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.memo import Memo  # noqa: E402
from commands.faq.search import index_of, search  # noqa: E402
from storage import db, faq, faq_vectors  # noqa: E402
from storage.faq import NewEntry  # noqa: E402

DEV_SETS = Path(__file__).resolve().parents[2] / "shared" / "data" / "faq-dev"
NOW = datetime(2026, 11, 24, tzinfo=UTC)


def _sets() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(DEV_SETS.glob("*.jsonl"))]


def _pieces(text: str) -> list[str]:
    """Words for English, single characters for Chinese."""
    return list(text) if any(is_cjk(c) for c in text) else text.split()


def _mutate(text: str, pool: list[str], rng: random.Random) -> str:
    pieces = [rng.choice(pool) if rng.random() < 0.5 else p for p in _pieces(text)]
    return ("" if any(is_cjk(c) for c in text) else " ").join(pieces)


def synthesise(n: int, sets: list[dict[str, Any]], rng: random.Random) -> list[NewEntry]:
    """``n`` entries (a question and three alternates each) shaped like the development sets."""
    phrasings = [p for s in sets for f in s["faqs"] for p in [f["question"], *f["variants"]]]
    english = [w for p in phrasings if not any(is_cjk(c) for c in p) for w in p.split()]
    chinese = [c for p in phrasings for c in p if is_cjk(c)]
    out = []
    for _ in range(n):
        base = rng.sample(phrasings, 4)
        texts = [_mutate(b, chinese if any(is_cjk(c) for c in b) else english, rng) for b in base]
        out.append(NewEntry(question=texts[0], answer="…", alternates=tuple(texts[1:])))
    return out


def _rss_mb() -> int:
    """The process's resident memory now."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() // 2**20


def build(size: int, path: Path) -> dict[str, object]:
    """Store ``size`` entries in a fresh SQLite file and build the index once, as the first
    start after an import does: every phrasing and answer encoded and its vector stored."""
    engine = db.build_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    with engine.begin() as conn:
        entries = synthesise(size, _sets(), random.Random(size))
        faq.add_many(conn, entries=entries, owner_id="bench", now=NOW)
    settings, memo = Settings(), Memo()
    with engine.begin() as conn:
        started = time.perf_counter()
        index = index_of(conn, memo, settings)
        encode = time.perf_counter() - started
    with engine.connect() as conn:
        model = index.encoder.name if index.encoder else ""
        stored = faq_vectors.count(conn, model=model)
    engine.dispose()
    return {
        "entries": size,
        "semantic": index.semantic is not None,
        "phrasings": len(index),
        "first_import_encode_s": round(encode, 1),
        "encoded": index.encoded,
        "stored_vectors": stored,
    }


def serve(path: Path, queries: int) -> dict[str, object]:
    """A restarted Baton on the database at ``path``: the index built from stored vectors, then
    the development questions timed one by one."""
    questions = [q["text"] for s in _sets() for q in s["queries"]]
    questions = random.Random(7).sample(questions, min(queries, len(questions)))
    engine = db.build_engine(f"sqlite:///{path}")
    settings, memo = Settings(), Memo()
    with engine.begin() as conn:
        started = time.perf_counter()
        index = index_of(conn, memo, settings)
        restart = time.perf_counter() - started
    timings, cpu = [], []
    with engine.begin() as conn:
        for text in questions:
            started, used = time.perf_counter(), time.process_time()
            search(conn, text, settings=settings, memo=memo)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - used) * 1000)
    engine.dispose()
    timings.sort()
    cpu.sort()
    return {
        "restart_s": round(restart, 2),
        "encoded_at_restart": index.encoded,
        "queries": len(timings),
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(timings[int(len(timings) * 0.99) - 1], 2),
        "max_ms": round(timings[-1], 2),
        # CPU time: what a lookup costs on a machine that is not busy with other work too.
        "cpu_p50_ms": round(statistics.median(cpu), 2),
        "cpu_p99_ms": round(cpu[int(len(cpu) * 0.99) - 1], 2),
        "rss_mb": _rss_mb(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def measure(size: int, queries: int, workdir: Path) -> dict[str, object]:
    """Build in this process, then serve in a fresh one (so its memory is a restarted Baton's,
    not this process's leftovers from encoding)."""
    path = workdir / f"faq{size}.db"
    figures = build(size, path)
    served = subprocess.run(
        [sys.executable, __file__, "--serve", str(path), "--queries", str(queries)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {**figures, **json.loads(served.stdout)}


def main() -> None:
    """Measure each size and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # the restarted process
    args = parser.parse_args()
    if args.serve:
        print(json.dumps(serve(Path(args.serve), args.queries)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        report = [measure(int(n), args.queries, Path(tmp)) for n in args.sizes.split(",")]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
