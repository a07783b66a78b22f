"""FAQ answer quality on labelled sets, one configuration for every set.

Each set is imported through the same code path as ``baton faq import`` into a fresh SQLite file,
then every labelled question is searched as chat searches it, with the settings' defaults (or the
``BATON_FAQ_*`` environment variables). Per set it prints:

- ``auto``: answerable questions answered with the right entry;
- ``wrong``: questions (answerable or not) answered with a wrong entry;
- ``resolved``: answerable questions whose right entry was shown (the answer or a suggestion);
- ``oos_not_auto``: questions the FAQ has no answer for that were not answered (suggested or
  escalated);
- ``hit@1`` (the right entry ranked first, whatever the decision), ``top3_recall`` and
  ``no_answer_accuracy`` (no-answer questions escalated);
- the same ``auto`` / ``resolved`` / ``oos_not_auto`` by the ``kind`` of question, where a set
  labels kinds.

    python bench/faq_quality.py [SET.jsonl ...]   # default: ../shared/data/faq-dev/*.jsonl

A set is one JSON object: ``faqs`` (id, question, answer, lang, variants, tags) and ``queries``
(text, ``expected_faq_id`` or null when nothing answers it, optional ``kind``).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

# This folder holds bench/commands.py, which must not shadow the ``commands`` package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import SystemClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.memo import Memo  # noqa: E402
from commands.faq import io as faq_io  # noqa: E402
from commands.faq.decide import thresholds  # noqa: E402
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


def _outcome(decision: str, shown: list[int], expected: int | None) -> dict[str, bool]:
    """What one question counts towards."""
    if expected is None:
        return {"oos_not_auto": decision != "answer", "no_answer_ok": decision == "escalate"}
    auto = decision == "answer" and shown[:1] == [expected]
    return {
        "auto": auto,
        "wrong": decision == "answer" and not auto,
        "resolved": decision in ("answer", "suggest") and expected in shown,
    }


def evaluate(data: dict[str, Any], settings: Settings, workdir: Path) -> dict[str, object]:
    """Import one set into a fresh database and score every labelled question."""
    engine = db.build_engine(f"sqlite:///{workdir / (data.get('name', 'set') + '.db')}")
    db.upgrade(engine)
    with engine.begin() as conn:
        done, errors = faq_io.import_text(
            conn, text=as_import(data), fmt="jsonl", now=SystemClock().now()
        )
    if done is None:
        raise SystemExit(f"{data.get('name')}: {faq_io.describe(errors)}")
    ids = done.ids
    id_of = {f["id"]: ids[i] for i, f in enumerate(data["faqs"])}
    memo = Memo()
    tally: Counter[str] = Counter()
    by_kind: dict[str, Counter[str]] = {}
    with engine.begin() as conn:
        for q in data["queries"]:
            result = search(conn, q["text"], settings=settings, memo=memo)
            expected = id_of[q["expected_faq_id"]] if q["expected_faq_id"] else None
            outcome = _outcome(result.decision, [h.id for h in result.hits], expected)
            if expected is not None:
                outcome["hit1"] = bool(result.ranked) and result.ranked[0].id == expected
                outcome["top3"] = expected in [h.id for h in result.ranked[:3]]
            group = "answerable" if expected is not None else "no_answer"
            kind = by_kind.setdefault(q.get("kind") or group, Counter())
            for counter in (tally, kind):
                counter[group] += 1
                counter.update(k for k, v in outcome.items() if v)
        index = index_of(conn, memo, settings)
    engine.dispose()
    return {
        "semantic": index.semantic is not None,
        "entries": len(ids),
        "queries": tally["answerable"] + tally["no_answer"],
        **_rates(tally),
        "by_kind": {k: _rates(c, brief=True) for k, c in sorted(by_kind.items())},
    }


def _rates(tally: Counter[str], *, brief: bool = False) -> dict[str, float]:
    answerable, no_answer = max(tally["answerable"], 1), max(tally["no_answer"], 1)
    rates = {
        "auto": tally["auto"] / answerable,
        "wrong": tally["wrong"] / max(tally["answerable"] + tally["no_answer"], 1),
        "resolved": tally["resolved"] / answerable,
        "oos_not_auto": tally["oos_not_auto"] / no_answer,
        "hit@1": tally["hit1"] / answerable,
        "top3_recall": tally["top3"] / answerable,
        "no_answer_accuracy": tally["no_answer_ok"] / no_answer,
    }
    if brief:
        keep = ("auto", "resolved") if tally["answerable"] else ("oos_not_auto",)
        rates = {k: rates[k] for k in keep}
    return {k: round(v, 3) for k, v in rates.items()}


def main() -> None:
    """Score every set named on the command line (default: the development sets)."""
    settings = Settings()
    paths = [Path(p) for p in sys.argv[1:]] or sorted(DEV_SETS.glob("*.jsonl"))
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            data = json.loads(path.read_text(encoding="utf-8"))
            report[path.stem] = evaluate(data, settings, Path(tmp))
    report["thresholds"] = asdict(thresholds(settings, semantic=settings.faq_semantic))
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
