"""The FAQ learning loop on a stream of questions: how many still need a human as the same topics
come back, and how often Baton answers wrongly while it learns.

A set is played as a stream of questions in a fixed shuffled order through the running App, as
chat delivers them (``ask <question>`` from a different asker each time, buttons pressed as
button events). Baton decides first; only then do a simulated asker and expert act on the labels:

- an answer with the right entry settles the question; a wrong one is met with Not helpful;
- suggestions: the asker picks the right entry when it is shown, else presses Ask a human;
- an escalation is answered by the expert with ``faq learn <n> #<entry>`` (the question becomes a
  phrasing of the right entry) or, when the FAQ has no answer, ``faq learn <n> <answer>`` (a new
  entry).

For each half of the stream it prints the share of questions that needed a human, the ``wrong``
rate (answered with a wrong entry, over all questions), and for answerable questions whose entry
was already asked about earlier in the stream, the share settled without a human. Prints JSON.

    python bench/faq_stream.py [SET.jsonl ...]   # default: ../shared/data/faq-dev/*.jsonl
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from faq_quality import DEV_SETS, as_import  # noqa: E402

from bot.app import App  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.events import Actor, ButtonAction, Inbound, Platform, Target  # noqa: E402
from bot.replies import Reply  # noqa: E402
from bot.wiring import build_app  # noqa: E402
from commands.faq import io as faq_io  # noqa: E402
from storage import faq_escalations  # noqa: E402

EXPERT = "expert"  # an admin: asked when nobody else is, and allowed to answer
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Stream:
    """One set played through one App."""

    def __init__(self, app: App, clock: FrozenClock) -> None:
        self.app = app
        self.clock = clock
        self.events = 0

    def _send(self, user: str, text: str = "", action: ButtonAction | None = None) -> list[Reply]:
        self.events += 1
        self.clock.advance(timedelta(seconds=30))
        inbound = Inbound(
            event_id=f"ev{self.events}",
            actor=Actor(Platform.CONSOLE, "bench", user),
            source=Target(Platform.CONSOLE, "bench", "faq"),
            text=text,
            is_direct=True,
            received_at=self.clock.now(),
            action=action,
        )
        return [queued.reply for queued in self.app.process(inbound)]

    def _lookup(self) -> sa.RowMapping:
        with self.app.engine.connect() as conn:
            number = conn.execute(sa.text("SELECT max(id) FROM faq_questions")).scalar()
            row = faq_escalations.question(conn, question_id=int(number or 0))
        assert row is not None
        return row

    @staticmethod
    def _shown(replies: list[Reply], question_id: int) -> list[int]:
        """The entries Baton's suggestion buttons offered."""
        prefix = f"{question_id}:"
        return [
            int(b.value[len(prefix) :])
            for r in replies
            if r.card is not None
            for b in r.card.buttons
            if b.action == "faq.pick" and b.value.startswith(prefix)
        ]

    def ask(self, asker: str, text: str, expected: int | None) -> dict[str, bool]:
        """One question, Baton's decision, and what the asker and the expert then do."""
        replies = self._send(asker, f"ask {text}")
        row = self._lookup()
        number = int(row["id"])
        if row["decision"] == "answer":
            if row["entry_id"] == expected:
                return {"human": False, "wrong": False}
            self._send(asker, action=ButtonAction("faq.not_helpful", str(number)))
            self._expert(number, expected, text)
            return {"human": True, "wrong": True}
        if row["decision"] == "suggest":
            if expected is not None and expected in self._shown(replies, number):
                self._send(asker, action=ButtonAction("faq.pick", f"{number}:{expected}"))
                return {"human": False, "wrong": False}
            self._send(asker, action=ButtonAction("faq.human", str(number)))
        self._expert(number, expected, text)
        return {"human": True, "wrong": False}

    def _expert(self, question_id: int, expected: int | None, text: str) -> None:
        with self.app.engine.connect() as conn:
            row = faq_escalations.question(conn, question_id=question_id)
        escalation = row["escalation_id"] if row else None
        if escalation is None:
            return
        answer = f"#{expected}" if expected is not None else f"The team's answer to: {text}"
        self._send(EXPERT, f"faq learn {escalation} {answer}")


def play(data: dict[str, Any], workdir: Path) -> dict[str, object]:
    """Import one set into a fresh database, then play its questions in a fixed order."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{workdir / (data.get('name', 'set') + '.db')}",
        admins_csv=EXPERT,
    )
    clock = FrozenClock(START)
    app = build_app(settings, clock=clock)
    with app.engine.begin() as conn:
        done, errors = faq_io.import_text(conn, text=as_import(data), fmt="jsonl", now=START)
    if done is None:
        raise SystemExit(f"{data.get('name')}: {faq_io.describe(errors)}")
    id_of = {f["id"]: done.ids[i] for i, f in enumerate(data["faqs"])}
    questions = list(data["queries"])
    random.Random(14).shuffle(questions)
    stream = Stream(app, clock)
    halves = [Counter(), Counter()]
    seen: set[int] = set()
    for i, q in enumerate(questions):
        expected = id_of[q["expected_faq_id"]] if q["expected_faq_id"] else None
        outcome = stream.ask(f"asker{i}", q["text"], expected)
        tally = halves[0 if i < len(questions) / 2 else 1]
        tally["questions"] += 1
        tally["human"] += outcome["human"]
        tally["wrong"] += outcome["wrong"]
        if expected is not None and expected in seen:
            tally["repeats"] += 1
            tally["repeats_settled"] += not outcome["human"]
        if expected is not None:
            seen.add(expected)
    app.engine.dispose()
    return {f"{name} half": _rates(t) for name, t in zip(("first", "second"), halves, strict=True)}


def _rates(tally: Counter[str]) -> dict[str, float]:
    questions = max(tally["questions"], 1)
    return {
        "questions": tally["questions"],
        "needed_a_human": round(tally["human"] / questions, 3),
        "wrong": round(tally["wrong"] / questions, 3),
        "repeat_topics": tally["repeats"],
        "repeats_without_a_human": round(tally["repeats_settled"] / max(tally["repeats"], 1), 3),
    }


def main() -> None:
    """Play every set named on the command line (default: the development sets)."""
    paths = [Path(p) for p in sys.argv[1:]] or sorted(DEV_SETS.glob("*.jsonl"))
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            report[path.stem] = play(json.loads(path.read_text(encoding="utf-8")), Path(tmp))
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
