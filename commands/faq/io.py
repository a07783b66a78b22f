"""FAQ import and export: CSV (header ``question,answer`` plus optional ``alternates``, ``tags``
and ``lang``, lists separated by ``|``) and JSONL with the same keys (lists may be JSON arrays).

Parsing checks every row before anything is stored, so an import is all-or-nothing and reports
each bad row by its number.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage import faq
from storage.faq import EntryRow, NewEntry

MAX_QUESTION = 1000
MAX_ANSWER = 8000
MAX_ALTERNATES = 50
KNOWN_KEYS = frozenset({"question", "answer", "alternates", "tags", "lang"})


@dataclass(frozen=True, slots=True)
class RowError:
    """Why row ``number`` (1 = the first data row) cannot be imported."""

    number: int
    reason: str


def _split(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [str(v) for v in value] if isinstance(value, list) else str(value).split("|")
    return tuple(dict.fromkeys(item.strip() for item in items if item.strip()))


def _entry(record: dict[str, object]) -> NewEntry | str:
    """A validated entry, or the reason it is bad."""
    question = str(record.get("question") or "").strip()
    answer = str(record.get("answer") or "").strip()
    if not question:
        return "question is empty"
    if not answer:
        return "answer is empty"
    if len(question) > MAX_QUESTION:
        return f"question is longer than {MAX_QUESTION} characters"
    if len(answer) > MAX_ANSWER:
        return f"answer is longer than {MAX_ANSWER} characters"
    alternates = _split(record.get("alternates"))
    if len(alternates) > MAX_ALTERNATES:
        return f"more than {MAX_ALTERNATES} alternates"
    if any(len(a) > MAX_QUESTION for a in alternates):
        return f"an alternate is longer than {MAX_QUESTION} characters"
    tags = tuple(t.lstrip("#").lower() for t in _split(record.get("tags")))
    if any(not t or any(c.isspace() for c in t) or len(t) > 40 for t in tags):
        return "tags must be single words of at most 40 characters"
    lang = str(record.get("lang") or "").strip().lower()
    if lang not in ("", "en", "zh"):
        return f"lang {lang!r} is not en or zh"
    return NewEntry(question, answer, alternates, tags, lang)


def _csv_records(text: str) -> Iterator[tuple[int, dict[str, object] | str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = set(reader.fieldnames or [])
    if not {"question", "answer"} <= header:
        yield 0, "the header must name the columns question and answer"
        return
    for number, record in enumerate(reader, start=1):
        if None in record:
            yield number, "more values than columns"
            continue
        yield number, dict(record)


def _jsonl_records(text: str) -> Iterator[tuple[int, dict[str, object] | str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"not valid JSON ({exc.msg})"
            continue
        if not isinstance(record, dict):
            yield number, "not a JSON object"
            continue
        yield number, record


def parse(text: str, *, fmt: str) -> tuple[list[NewEntry], list[RowError]]:
    """Every entry in ``text`` (``fmt`` is ``csv`` or ``jsonl``) and every bad row."""
    records = _csv_records(text) if fmt == "csv" else _jsonl_records(text)
    entries: list[NewEntry] = []
    errors: list[RowError] = []
    for number, record in records:
        checked = record if isinstance(record, str) else _entry(record)
        if isinstance(checked, str):
            errors.append(RowError(number, checked))
        else:
            entries.append(checked)
    if not entries and not errors:
        errors.append(RowError(0, "the file holds no entries"))
    return entries, errors


def guess_format(name: str, text: str) -> str:
    """``jsonl`` for ``.jsonl``/``.json`` files or text starting with ``{``, else ``csv``."""
    if name.lower().endswith((".jsonl", ".json")) or text.lstrip().startswith("{"):
        return "jsonl"
    return "csv"


def _record(entry: EntryRow) -> dict[str, object]:
    return {
        "id": entry.id,
        "question": entry.question,
        "answer": entry.answer,
        "alternates": list(entry.alternates),
        "tags": list(entry.tags),
        "lang": entry.lang,
    }


def export(entries: Iterable[EntryRow], *, fmt: str) -> str:
    """Entries as CSV or JSONL text that :func:`parse` reads back."""
    if fmt == "jsonl":
        return "".join(json.dumps(_record(e), ensure_ascii=False) + "\n" for e in entries)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["question", "answer", "alternates", "tags", "lang"])
    for e in entries:
        writer.writerow([e.question, e.answer, "|".join(e.alternates), "|".join(e.tags), e.lang])
    return out.getvalue()


def describe(errors: Sequence[RowError]) -> list[str]:
    """One line per bad row."""
    return [f"row {e.number}: {e.reason}" if e.number else e.reason for e in errors]


def import_text(
    conn: sa.Connection, *, text: str, fmt: str, now: datetime, owner_id: str = ""
) -> tuple[list[int], list[RowError]]:
    """Store every entry of ``text`` or, when any row is bad, nothing (and say which rows)."""
    entries, errors = parse(text, fmt=fmt)
    if errors:
        return [], errors
    return faq.add_many(conn, entries=entries, owner_id=owner_id, now=now), []
