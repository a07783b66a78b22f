"""Core behaviour: routing, languages, settings, de-duplication and the error boundary."""

from __future__ import annotations

import asyncio
import threading

import sqlalchemy as sa

from bot import mentions
from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.context import Ctx
from bot.events import Target
from bot.feature import Feature, Tick
from bot.i18n import Translator, placeholders
from bot.replies import Reply
from bot.routing import Router
from bot.wiring import build_app
from commands import all_features
from tests.conftest import Chat


def test_catalogs_have_same_keys_and_placeholders_in_both_languages(app: App) -> None:
    en = app.translator.messages("en")
    zh = app.translator.messages("zh")
    assert set(en) == set(zh)
    for key in en:
        assert placeholders(en[key]) == placeholders(zh[key]), key


def test_duplicate_message_keys_are_refused() -> None:
    catalog = {"en": {"a": "x"}, "zh": {"a": "y"}}
    try:
        Translator([catalog, catalog])
    except ValueError as exc:
        assert "duplicate" in str(exc)
    else:
        raise AssertionError("duplicate keys were accepted")


def test_every_command_has_help_in_both_languages() -> None:
    for feature in all_features():
        for command in feature.router.commands:
            assert command.usage.help_en, command.path
            assert command.usage.help_zh, command.path


async def test_help_lists_commands_in_english_and_chinese(chat: Chat) -> None:
    english = await chat.say("help")
    assert "Commands" in english and "`tz <zone|city|UTC+8>`" in english
    chinese = await chat.say("帮助")
    assert "命令列表" in chinese and "查看或设置您的时区" in chinese


async def test_tz_and_lang_are_remembered_across_restart(chat: Chat, app: App) -> None:
    assert "Asia/Shanghai" in await chat.say("tz Asia/Shanghai")
    assert "not a time zone" in await chat.say("tz Mars/Olympus")
    assert "中文" in await chat.say("lang zh")
    assert "命令列表" in await chat.say("help")
    app.people.forget()
    assert "Asia/Shanghai" in await chat.say("tz")
    assert "时区" in await chat.say("tz")


async def test_unknown_command_suggests_the_closest(chat: Chat) -> None:
    reply = await chat.say("hlep")
    assert "Did you mean `help`" in reply


async def test_redelivered_event_is_handled_once(chat: Chat, app: App) -> None:
    message = chat.console.to_inbound("help")
    first = await app.handle(message)
    second = await app.handle(message)
    assert len(first) == 1
    assert second == []


async def test_handler_crash_gives_apology_with_reference_and_writes_nothing(
    settings: Settings, clock, caplog
) -> None:
    router = Router("boom")

    @router.command("boom")
    def explode(ctx: Ctx, args: str) -> None:
        """Fail after writing."""
        ctx.conn.execute(sa.text("INSERT INTO task_counters (ws, last_number) VALUES ('x', 1)"))
        raise RuntimeError("kaput")

    app = build_app(settings, clock=clock, features=[Feature("boom", router, {}), *all_features()])
    chat = Chat(app, clock)
    reply = await chat.say("boom")
    assert "Reference:" in reply and "Traceback" not in reply
    ref = reply.rsplit(" ", 1)[-1].strip()
    assert ref in caplog.text
    with app.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM task_counters")).scalar() == 0
    app.engine.dispose()


def test_broadcast_tokens_never_split_out_as_mentions() -> None:
    pieces = list(mentions.split("hi <@all> <@U1> <@channel>"))
    assert [uid for _, uid in pieces if uid] == ["U1"]
    assert mentions.mentioned_ids(mentions.inert("<@U1>")) == []


def test_target_round_trips_through_text() -> None:
    for text in ("slack:T1/C2", "slack:T1/C2/17.5", "slack:T1/@U3", "feishu:tk/oc_1?ou_2"):
        assert str(Target.parse(text)) == text


def test_feature_without_commands_is_allowed() -> None:
    Feature(name="x", router=Router("x"), messages={})


async def test_a_slow_tick_does_not_stall_messages(settings: Settings, clock: FrozenClock) -> None:
    """Ticks run in a worker thread: a message is answered while a long tick is still running."""
    release = threading.Event()
    waited: list[bool] = []
    slow = Feature(
        "slow",
        Router("slow"),
        {},
        ticks=(Tick("slow", lambda ctx: waited.append(release.wait(5))),),
    )
    app = build_app(settings, clock=clock, features=[*all_features(), slow])
    chat = Chat(app, clock)
    ticking = asyncio.create_task(app.run_ticks())
    await asyncio.sleep(0)  # the tick starts first
    said = await chat.say("help")
    release.set()
    await ticking
    assert "help" in said
    assert waited == [True]  # the tick was released by the answered message, not by its timeout
    app.engine.dispose()


async def test_control_characters_are_dropped_before_anything_is_stored(chat: Chat) -> None:
    said = await chat.say("task add \x00Restock\x07 SKU-1\x1b")
    assert "Created #1: Restock SKU-1" in said


def test_routers_compose_in_inclusion_order_and_refuse_a_button_registered_twice() -> None:
    first, second, root = Router("first"), Router("second"), Router("root")

    @second.command("b")
    def b(ctx: Ctx, args: str) -> None:
        """B."""

    @first.command("a")
    def a(ctx: Ctx, args: str) -> None:
        """A."""

    root.include(first, second)
    assert [c.path for c in root.commands] == ["a", "b"]  # inclusion order, not definition order
    first.action("same")(a)
    second.action("same")(b)
    try:
        _ = root.actions
    except ValueError as exc:
        assert "same" in str(exc)
    else:
        raise AssertionError("a button action registered twice was accepted")


async def test_an_open_conversation_answers_before_did_you_mean_and_fallbacks_after(
    settings: Settings, clock: FrozenClock
) -> None:
    talk = Router("talk")

    @talk.fallback()
    def last_resort(ctx: Ctx, text: str) -> Reply:
        """Answers anything."""
        return Reply(f"fallback: {text}")

    @talk.conversation()
    def waiting(ctx: Ctx, text: str) -> Reply | None:
        """Takes only the answer it waits for."""
        return Reply("conversation took it") if text == "hepl" else None

    app = build_app(settings, clock=clock, features=[Feature("talk", talk, {}), *all_features()])
    chat = Chat(app, clock)
    assert "conversation took it" in await chat.say("hepl")  # a typo of help, but awaited
    assert "Did you mean `help`" in await chat.say("hlep")  # a short typo beats the fallback
    assert "fallback: where is the warehouse key" in await chat.say("where is the warehouse key")
    app.engine.dispose()
