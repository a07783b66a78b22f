"""FAQ search latency as the FAQ grows: p50/p99 of one lookup at 1,000, 10,000 and 100,000 entries.

Entries are synthesised from the development sets' phrasings (English and Chinese) with about half
of their words swapped for others of the same language, so the token statistics look like a real
FAQ's rather than random strings. Each size is stored in a fresh SQLite file; the index is built
once (its build time and the process's peak memory are printed too), then the development
questions are searched through the same ``search`` call chat uses, on one thread. Prints JSON.

    python bench/faq_speed.py [--sizes 1000,10000,100000] [--queries 1000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings  # noqa: E402
from bot.memo import Memo  # noqa: E402
from commands.faq.search import index_of, search  # noqa: E402
from commands.faq.text import is_cjk  # noqa: E402
from storage import db, faq  # noqa: E402
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


def measure(size: int, questions: list[str], workdir: Path) -> dict[str, object]:
    """Store ``size`` entries, build the index, and time every question."""
    rng = random.Random(size)
    engine = db.build_engine(f"sqlite:///{workdir / f'faq{size}.db'}")
    db.upgrade(engine)
    with engine.begin() as conn:
        faq.add_many(conn, entries=synthesise(size, _sets(), rng), owner_id="bench", now=NOW)
    settings, memo = Settings(), Memo()
    timings = []
    with engine.connect() as conn:
        started = time.perf_counter()
        index = index_of(conn, memo, settings)
        build = time.perf_counter() - started
        for text in questions:
            started = time.perf_counter()
            search(conn, text, settings=settings, memo=memo)
            timings.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    timings.sort()
    return {
        "entries": size,
        "phrasings": len(index),
        "index_build_s": round(build, 2),
        "queries": len(timings),
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(timings[int(len(timings) * 0.99) - 1], 2),
        "max_ms": round(timings[-1], 2),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def main() -> None:
    """Measure each size and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    questions = [q["text"] for s in _sets() for q in s["queries"]]
    questions = random.Random(7).sample(questions, min(args.queries, len(questions)))
    with tempfile.TemporaryDirectory() as tmp:
        report = [measure(int(n), questions, Path(tmp)) for n in args.sizes.split(",")]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
