"""FAQ import and export: CSV (header ``question,answer`` plus optional ``alternates``, ``tags``
and ``lang``, lists separated by ``|``) and JSONL with the same keys (lists may be JSON arrays).

Parsing checks every row before anything is stored, so an import is all-or-nothing and reports
each bad row by its number. Imported text is normalised as chat text is (full-width forms folded,
control characters dropped). An import can be run again: a row whose question the FAQ already
has (spelling, case and punctuation aside) updates that entry instead of adding a second one.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from bot.routing import normalise
from commands.faq.text import question_key
from storage import faq
from storage.faq import EntryRow, NewEntry

MAX_QUESTION = 1000
MAX_ANSWER = 8000
MAX_ALTERNATES = 50
KNOWN_KEYS = frozenset({"question", "answer", "alternates", "tags", "lang"})


@dataclass(frozen=True, slots=True)
class Imported:
    """What an import did: the entry of every row, in order, and which were new or changed."""

    ids: tuple[int, ...]
    added: int
    updated: int
    unchanged: int


@dataclass(frozen=True, slots=True)
class RowError:
    """Why row ``number`` (1 = the first data row) cannot be imported."""

    number: int
    reason: str


def _split(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [str(v) for v in value] if isinstance(value, list) else str(value).split("|")
    return tuple(dict.fromkeys(normalise(item) for item in items if normalise(item)))


def _entry(record: dict[str, object]) -> NewEntry | str:
    """A validated entry, or the reason it is bad."""
    question = normalise(str(record.get("question") or ""))
    answer = normalise(str(record.get("answer") or ""))
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
    seen: dict[str, int] = {}
    for number, record in records:
        checked = record if isinstance(record, str) else _entry(record)
        if isinstance(checked, NewEntry):
            key = question_key(checked.question) or checked.question
            if key in seen:
                checked = f"the same question as row {seen[key]}"
            seen.setdefault(key, number)
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


def decode(data: bytes) -> tuple[str, str] | None:
    """The text of an import file and the encoding it was in: UTF-8 (with or without Excel's
    byte-order mark), else GB18030 (what Excel on Chinese Windows saves a CSV as); None when it
    is neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None


def _same(entry: EntryRow, new: NewEntry) -> bool:
    return (entry.answer, entry.alternates, entry.tags, entry.lang) == (
        new.answer,
        new.alternates,
        new.tags,
        new.lang,
    )


def import_text(
    conn: sa.Connection, *, text: str, fmt: str, now: datetime, owner_id: str = ""
) -> tuple[Imported | None, list[RowError]]:
    """Store every entry of ``text`` or, when any row is bad, nothing (and say which rows). A row
    whose question an entry already has updates that entry (or leaves it as it is)."""
    entries, errors = parse(text, fmt=fmt)
    if errors:
        return None, errors
    existing = {question_key(e.question) or e.question: e for e in faq.every(conn)}
    ids: list[int | None] = []
    new: list[NewEntry] = []
    updated = 0
    for entry in entries:
        found = existing.get(question_key(entry.question) or entry.question)
        if found is None:
            new.append(entry)
        elif not _same(found, entry):
            faq.update(
                conn,
                entry_id=found.id,
                now=now,
                question=entry.question,
                answer=entry.answer,
                alternates=entry.alternates,
                tags=entry.tags,
                lang=entry.lang,
            )
            updated += 1
        ids.append(found.id if found else None)
    added = iter(faq.add_many(conn, entries=new, owner_id=owner_id, now=now) if new else [])
    ids = [number if number is not None else next(added) for number in ids]
    done = tuple(number for number in ids if number is not None)
    return Imported(done, len(new), updated, len(done) - len(new) - updated), []
