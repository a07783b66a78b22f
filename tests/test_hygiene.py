"""What Baton keeps of the text people type: no bidirectional overrides, no zero-width characters,
emoji whole, and typed mentions still inert."""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from bot import mentions
from bot.app import App
from bot.invisible import strip_invisible
from bot.routing import normalise
from tests.conftest import Chat

RLO = "\u202e"
HIDDEN = (
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u00ad\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff"
)
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
RAINBOW_FLAG = "\U0001f3f3\ufe0f\u200d\U0001f308"
TECHNOLOGIST = "\U0001f469\U0001f3fd\u200d\U0001f4bb"
HEART = "\u2764\ufe0f"
KEYCAP_ONE = "1\ufe0f\u20e3"
SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
BIDI_AND_ZERO_WIDTH = set(HIDDEN)


def stored_titles(app: App) -> list[str]:
    with app.engine.connect() as conn:
        return [
            str(t) for t in conn.execute(sa.text("SELECT title FROM tasks ORDER BY id")).scalars()
        ]


def test_bidi_controls_and_zero_width_characters_are_dropped() -> None:
    assert strip_invisible(f"{RLO}txt.exe") == "txt.exe"
    assert strip_invisible("re\u200bstock\u2060 SKU\u00ad-1\ufeff") == "restock SKU-1"
    assert strip_invisible("\u2066abc\u2069\u200e\u200f\u061c") == "abc"
    assert strip_invisible(HIDDEN) == ""


def test_emoji_sequences_survive_whole() -> None:
    for emoji in (FAMILY, RAINBOW_FLAG, TECHNOLOGIST, HEART, KEYCAP_ONE, SCOTLAND):
        assert strip_invisible(f"ship {emoji} today") == f"ship {emoji} today"
    assert normalise(f"task add Party {FAMILY}{HEART}") == f"task add Party {FAMILY}{HEART}"


def test_joiners_and_selectors_outside_emoji_are_dropped() -> None:
    assert strip_invisible("a\u200db") == "ab"  # a joiner between letters joins nothing
    assert strip_invisible("\U0001f468\u200d ") == "\U0001f468 "  # nor one before a space
    assert strip_invisible(" \ufe0f") == " "  # a selector with nothing to select
    packed = "x" + "\ufe01\ufe02\U000e0101\U000e0120" * 4  # data hidden in selectors
    assert strip_invisible(packed) == "x\ufe01"
    assert strip_invisible("hi\U000e0068\U000e0069\U000e007f") == "hi"  # tag text, no flag


def test_typed_mentions_stay_inert_through_normalise() -> None:
    typed = mentions.inert("<@U1> and <!channel>")
    assert normalise(typed) == typed
    assert mentions.mentioned_ids(normalise(typed)) == []
    assert normalise("say <\u2060x@y") == "say <x@y"  # a joiner that guards nothing goes


@given(st.text(alphabet=st.sampled_from([*HIDDEN, "a", " ", "<", "@", "\U0001f468"])))
def test_no_bidi_or_zero_width_character_survives_normalise(typed: str) -> None:
    kept = normalise(mentions.inert(typed))
    for index, char in enumerate(kept):
        if char in BIDI_AND_ZERO_WIDTH:
            between = kept[index - 1 : index + 2]
            assert char in "\u2060\u200d", repr(kept)
            assert between.startswith("<\u2060@") or char == "\u200d", repr(kept)


async def test_stored_task_text_has_no_hidden_characters(chat: Chat, app: App) -> None:
    created = await chat.say(f"task add {RLO}gnp.exe\u200b invoice {TECHNOLOGIST}")
    assert f"Created #1: gnp.exe invoice {TECHNOLOGIST}" in created
    await chat.say(f"task rename 1 Check{RLO} \u2066refund\u2069")
    await chat.say("task note 1 paid\u200b\u200b\u200b in full")
    assert stored_titles(app) == ["Check refund"]
    shown = await chat.say("task show 1")
    assert "noted: paid in full" in shown and RLO not in shown and "\u200b" not in shown


async def test_stored_task_text_has_no_hidden_characters_in_chinese(chat: Chat, app: App) -> None:
    created = await chat.say(f"新建任务 {RLO}补货\u200b SKU-1 {FAMILY}")
    assert f"已创建 #1:补货 SKU-1 {FAMILY}" in created
    assert stored_titles(app) == [f"补货 SKU-1 {FAMILY}"]
