"""FAQ answer quality on labelled sets: hit@1, top-3 recall and no-answer accuracy per set.

Each set is imported through the same code path as ``baton faq import`` into a fresh SQLite file,
then every labelled question is searched with one configuration (the settings' defaults, or the
``BATON_FAQ_*`` environment variables). Prints one JSON object.

    python bench/faq_quality.py [SET.jsonl ...]   # default: ../shared/data/faq-dev/*.jsonl

A set is one JSON object: ``faqs`` (id, question, answer, lang, variants, tags) and ``queries``
(text, ``expected_faq_id`` or null when nothing answers it, optional ``kind``).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

# This folder holds bench/commands.py, which must not shadow the ``commands`` package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import SystemClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.memo import Memo  # noqa: E402
from commands.faq import io as faq_io  # noqa: E402
from commands.faq.decide import QUANTILE_SEMANTIC, QUANTILE_WORDS, thresholds  # noqa: E402
from commands.faq.search import index_of, search  # noqa: E402
from storage import db  # noqa: E402

DEV_SETS = Path(__file__).resolve().parents[2] / "shared" / "data" / "faq-dev"


def as_import(data: dict[str, Any]) -> str:
    """The set's entries as the JSONL that ``baton faq import`` reads."""
    lines = []
    for f in data["faqs"]:
        record = {
            "question": f["question"],
            "answer": f["answer"] or "-",  # not the id: answers must not leak the label
            "alternates": f.get("variants", []),
            "tags": f.get("tags", []),
            "lang": f.get("lang", ""),
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def evaluate(data: dict[str, Any], settings: Settings, workdir: Path) -> dict[str, object]:
    """Import one set into a fresh database and score every labelled question."""
    engine = db.build_engine(f"sqlite:///{workdir / (data.get('name', 'set') + '.db')}")
    db.upgrade(engine)
    with engine.begin() as conn:
        ids, errors = faq_io.import_text(
            conn, text=as_import(data), fmt="jsonl", now=SystemClock().now()
        )
    if errors:
        raise SystemExit(f"{data.get('name')}: {faq_io.describe(errors)}")
    id_of = {f["id"]: ids[i] for i, f in enumerate(data["faqs"])}
    memo = Memo()
    tally: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    kind_ok: Counter[str] = Counter()
    with engine.connect() as conn:
        for q in data["queries"]:
            result = search(conn, q["text"], settings=settings, memo=memo)
            expected = q["expected_faq_id"]
            kind = q.get("kind") or ("no_answer" if expected is None else "answerable")
            if expected is None:
                ok = result.decision == "escalate"
                tally["no_answer"] += 1
                tally["no_answer_ok"] += ok
            else:
                want = id_of[expected]
                ranked = [h.id for h in result.ranked[:3]]
                ok = result.decision == "answer" and result.hits[0].id == want
                tally["answerable"] += 1
                tally["hit1"] += ok
                tally["top3"] += want in ranked
            kinds[kind] += 1
            kind_ok[kind] += ok
        index = index_of(conn, memo, settings)
        limits = thresholds(settings, index.calibration, semantic=index.semantic is not None)
    engine.dispose()
    answerable = max(tally["answerable"], 1)
    return {
        "semantic": index.semantic is not None,
        "answer_at": limits.answer,
        "entries": len(ids),
        "queries": tally["answerable"] + tally["no_answer"],
        "hit@1": round(tally["hit1"] / answerable, 3),
        "top3_recall": round(tally["top3"] / answerable, 3),
        "no_answer_accuracy": round(tally["no_answer_ok"] / max(tally["no_answer"], 1), 3),
        "by_kind": {k: round(kind_ok[k] / n, 3) for k, n in sorted(kinds.items())},
    }


def main() -> None:
    """Score every set named on the command line (default: the development sets)."""
    settings = Settings()
    paths = [Path(p) for p in sys.argv[1:]] or sorted(DEV_SETS.glob("*.jsonl"))
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            data = json.loads(path.read_text(encoding="utf-8"))
            report[path.stem] = evaluate(data, settings, Path(tmp))
    report["settings"] = {
        "semantic": settings.faq_semantic,
        "calibration": settings.faq_calibration
        or (QUANTILE_SEMANTIC if settings.faq_semantic else QUANTILE_WORDS),
        "answer_score": settings.faq_answer_score,
        "suggest_score": settings.faq_suggest_score,
        "margin": settings.faq_margin,
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
