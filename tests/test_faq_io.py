"""FAQ import and export through the real ``baton faq`` command: all or nothing, round trip,
running an import twice, files saved by Excel on Chinese Windows (GB18030), and text cleaned as
chat text is."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from commands.faq import io as faq_io
from storage import db, faq
from tests.test_cli import baton

DEV_CSV = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "faq-dev" / "ecommerce_zh_en.csv"
)
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
WORDS = {"BATON_FAQ_SEMANTIC": "false"}  # these tests need no sentence encoder
CSV = (
    "question,answer,alternates,tags,lang\n"
    '"发票怎么开?","在ERP里申请","开票流程|怎么开发票",finance|invoice,zh\n'
    '"Which courier for Germany?","DHL","courier DE",logistics,en\n'
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    engine = db.build_engine(f"sqlite:///{tmp_path / 'faq.db'}")
    db.upgrade(engine)
    return engine


def test_faq_import_csv_then_export_jsonl_round_trips(tmp_path: Path) -> None:
    db_file = tmp_path / "faq.db"
    source = write(tmp_path / "faq.csv", CSV)
    result = baton("faq", "import", str(source), db=db_file, env=WORDS)
    assert result.returncode == 0, result.stderr
    assert "Imported 2 entries: 2 added, 0 updated, 0 unchanged." in result.stdout
    exported = baton("faq", "export", "--format", "jsonl", db=db_file)
    rows = [json.loads(line) for line in exported.stdout.splitlines() if line.strip()]
    assert [r["question"] for r in rows] == ["发票怎么开?", "Which courier for Germany?"]
    again = write(tmp_path / "again.jsonl", exported.stdout)
    copy = tmp_path / "copy.db"
    assert "Imported 2 entries" in baton("faq", "import", str(again), db=copy, env=WORDS).stdout


def test_importing_the_same_file_twice_changes_nothing(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        first, _ = faq_io.import_text(conn, text=CSV, fmt="csv", now=NOW)
        version = faq.version(conn)
        again, _ = faq_io.import_text(conn, text=CSV, fmt="csv", now=NOW)
        assert first is not None and again is not None
        assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
        assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
        assert again.ids == first.ids
        assert faq.version(conn) == version  # not even the search index has to look
        edited = CSV.replace('"DHL"', '"DHL Paket"').replace("Which courier", "which COURIER")
        third, _ = faq_io.import_text(
            conn, text=edited + '"新问题","新答案"\n', fmt="csv", now=NOW
        )
        assert third is not None
        assert (third.added, third.updated, third.unchanged) == (1, 1, 1)
        assert len(list(faq.every(conn))) == 3
        courier = faq.get(conn, entry_id=first.ids[1])
        assert courier is not None and courier.answer == "DHL Paket"


def test_a_gb18030_csv_from_excel_is_read_and_anything_else_is_refused(tmp_path: Path) -> None:
    db_file = tmp_path / "faq.db"
    excel = tmp_path / "excel.csv"
    excel.write_bytes(CSV.encode("gb18030"))
    result = baton("faq", "import", str(excel), db=db_file, env=WORDS)
    assert result.returncode == 0, result.stderr
    assert "Read excel.csv as GB18030" in result.stdout
    exported = baton("faq", "export", "--format", "jsonl", db=db_file)
    assert "发票怎么开?" in exported.stdout
    assert faq_io.decode(b"\xef\xbb\xbfquestion,answer\n") == ("question,answer\n", "utf-8-sig")
    assert faq_io.decode(b"\x81\x30\xff\xfe") is None  # neither UTF-8 nor GB18030
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"question,answer\n\x81\x30\xff\xfe,x\n")
    refused = baton("faq", "import", str(garbage), db=db_file, env=WORDS)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        f"{garbage} is neither UTF-8 nor GB18030 text: save it as CSV UTF-8."
    ]


def test_imported_text_is_normalised_like_chat_text(engine: sa.Engine) -> None:
    dirty = (
        '{"question": "Ｗｈｉｃｈ courier\\u0000 for\\u0007 Germany？", "answer": "DHL\\u001b[31m",'
        ' "alternates": ["\\u0008courier DE"]}\n'
    )
    with engine.begin() as conn:
        done, errors = faq_io.import_text(conn, text=dirty, fmt="jsonl", now=NOW)
        assert errors == [] and done is not None
        entry = faq.get(conn, entry_id=done.ids[0])
    assert entry is not None
    assert (entry.question, entry.answer, entry.alternates) == (
        "Which courier for Germany?",
        "DHL[31m",
        ("courier DE",),
    )


def test_a_file_that_asks_one_question_twice_is_refused(engine: sa.Engine) -> None:
    twice = CSV + '"which courier for germany","UPS"\n'
    with engine.begin() as conn:
        done, errors = faq_io.import_text(conn, text=twice, fmt="csv", now=NOW)
    assert done is None
    assert faq_io.describe(errors) == ["row 3: the same question as row 2"]


def test_faq_import_with_a_bad_row_imports_nothing_and_names_the_row(tmp_path: Path) -> None:
    db_file = tmp_path / "faq.db"
    bad = write(tmp_path / "bad.csv", 'question,answer\n"ok","fine"\n,"no question"\n')
    result = baton("faq", "import", str(bad), db=db_file, env=WORDS)
    assert result.returncode != 0
    assert "row 2" in result.stdout + result.stderr
    assert "Nothing imported" in result.stdout + result.stderr
    exported = baton("faq", "export", "--format", "jsonl", db=db_file)
    assert exported.stdout.strip() == ""


def test_faq_import_of_the_dev_set(engine: sa.Engine) -> None:
    if not DEV_CSV.exists():
        pytest.skip("the shared FAQ development set sits beside the repository, not in it")
    text = DEV_CSV.read_text(encoding="utf-8-sig")
    with engine.begin() as conn:
        done, errors = faq_io.import_text(conn, text=text, fmt="csv", now=NOW)
    assert errors == [] and done is not None and done.added == 100
