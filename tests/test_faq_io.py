"""FAQ import and export through the real ``baton faq`` command: all or nothing, round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import baton

DEV_CSV = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "faq-dev" / "ecommerce_zh_en.csv"
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_faq_import_csv_then_export_jsonl_round_trips(tmp_path: Path) -> None:
    db = tmp_path / "faq.db"
    source = write(
        tmp_path / "faq.csv",
        "question,answer,alternates,tags,lang\n"
        '"发票怎么开?","在ERP里申请","开票流程|怎么开发票",finance|invoice,zh\n'
        '"Which courier for Germany?","DHL","courier DE",logistics,en\n',
    )
    result = baton("faq", "import", str(source), db=db)
    assert result.returncode == 0, result.stderr
    assert "Imported 2 entries" in result.stdout
    exported = baton("faq", "export", "--format", "jsonl", db=db)
    rows = [json.loads(line) for line in exported.stdout.splitlines() if line.strip()]
    assert [r["question"] for r in rows] == ["发票怎么开?", "Which courier for Germany?"]
    again = write(tmp_path / "again.jsonl", exported.stdout)
    copy = tmp_path / "copy.db"
    assert "Imported 2 entries" in baton("faq", "import", str(again), db=copy).stdout


def test_faq_import_with_a_bad_row_imports_nothing_and_names_the_row(tmp_path: Path) -> None:
    db = tmp_path / "faq.db"
    bad = write(tmp_path / "bad.csv", 'question,answer\n"ok","fine"\n,"no question"\n')
    result = baton("faq", "import", str(bad), db=db)
    assert result.returncode != 0
    assert "row 2" in result.stdout + result.stderr
    assert "Nothing imported" in result.stdout + result.stderr
    exported = baton("faq", "export", "--format", "jsonl", db=db)
    assert exported.stdout.strip() == ""


def test_faq_import_of_the_dev_set(tmp_path: Path) -> None:
    if not DEV_CSV.exists():
        pytest.skip("the shared FAQ development set sits beside the repository, not in it")
    result = baton("faq", "import", str(DEV_CSV), db=tmp_path / "faq.db")
    assert "Imported 100 entries" in result.stdout
