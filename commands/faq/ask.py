"""Asking: ``ask <question>`` / ``问 <question>``, a mention or DM that is not a command, and every
question in a watched channel. Baton answers from the FAQ in the thread, suggests close entries,
or hands the question to people; the asker's buttons say whether the answer helped."""

from __future__ import annotations

import re

from bot.context import Ctx, Refusal
from bot.events import Target
from bot.replies import Button, Card, Reply
from bot.routing import Router
from commands.faq.common import entry_card, learn_phrasing, plain, speaking
from commands.faq.decide import Result
from commands.faq.escalate import capture_reply, escalate
from commands.faq.search import question_digest, search
from storage import faq, faq_escalations, faq_learning

router = Router("faq.ask")
MAX_ASK = 2000
_QUESTION_START = re.compile(
    r"^(how|what|why|where|when|which|who|whom|whose|can|could|is|are|does|do|did|should|"
    r"would|will|may|anyone|any)\b",
    re.IGNORECASE,
)
_QUESTION_ZH = re.compile(
    r"(怎么|怎样|如何|为什么|为啥|哪|什么|能不能|可不可以|可以吗|是否|有没有|咋|吗|呢)"
)


def reads_as_question(text: str) -> bool:
    """A question mark, a leading question word, or a Chinese question word or particle."""
    stripped = text.strip()
    return (
        stripped.endswith(("?", "？"))
        or bool(_QUESTION_START.match(stripped))
        or bool(_QUESTION_ZH.search(stripped))
    )


def thread_of(ctx: Ctx) -> Target:
    """Where answers go: the message's thread (a new one under it), or the DM itself."""
    source = ctx.source
    if source.is_direct:
        return Target(source.platform, source.workspace, "", None, source.user)
    thread = source.thread or ctx.inbound.thread_root
    return Target(source.platform, source.workspace, source.channel, thread)


@router.command("ask", "问", "提问", "请教", usage="ask <question>")
def ask(ctx: Ctx, args: str) -> list[Reply]:
    """Ask a question: answered from the FAQ, or passed to the right people.
    zh: 提问:先用知识库回答,答不了就转给合适的人。
    """
    question = args.strip()
    if not question:
        raise Refusal("faq.ask_need")
    return answer(ctx, question, addressed=True) or []


@router.fallback(direct_only=False)
def listen(ctx: Ctx, text: str) -> list[Reply] | None:
    """Messages that are not commands: a reply in an escalation's thread is kept as its answer;
    a question to Baton, or one in a watched channel, is looked up."""
    if capture_reply(ctx, text):
        return None
    if ctx.inbound.is_direct:
        return answer(ctx, text, addressed=reads_as_question(text))
    if not reads_as_question(text):
        return None
    if not faq.is_watched(ctx.conn, channel=str(ctx.source.without_thread())):
        return None
    return answer(ctx, text, addressed=False)


def answer(ctx: Ctx, text: str, *, addressed: bool) -> list[Reply] | None:
    """Look ``text`` up and reply. When nothing fits, an ``addressed`` question goes to people;
    otherwise Baton stays quiet (a watched channel is not spammed; a DM "hello" is not a
    question) and the lookup is only counted when it was a question."""
    if len(text) > MAX_ASK:
        if not addressed:
            return None
        raise Refusal("faq.ask_too_long", length=len(text), limit=MAX_ASK)
    question = plain(ctx, text)
    result = search(ctx.conn, question, settings=ctx.settings, memo=ctx.memo)
    ctx.metrics.faq_decisions.labels(result.decision).inc()
    if result.decision == "empty":  # "?", 🤔, a lone greeting: a hint, never an expert's time
        return [Reply(ctx.t("faq.hint"), to=thread_of(ctx))] if addressed else None
    if result.decision == "escalate" and not addressed and ctx.inbound.is_direct:
        return None
    best = result.hits[0].id if result.decision == "answer" else None
    question_id = faq_escalations.record_question(
        ctx.conn,
        ws=ctx.ws,
        asker_id=ctx.actor.user_id,
        place=str(thread_of(ctx)),
        text=question,
        decision=result.decision,
        entry_id=best,
        now=ctx.now,
    )
    if result.decision == "answer":
        return [_answer_card(ctx, result, question_id)]
    if result.decision == "suggest":
        return [_suggestions(ctx, result, question_id)]
    if not addressed:
        return None
    topic = _topic(ctx, result)
    return escalate(
        ctx,
        question,
        question_id=question_id,
        topic=topic,
        asker_id=ctx.actor.user_id,
        place=thread_of(ctx),
    )


def _topic(ctx: Ctx, result: Result) -> str:
    """The topic of the closest entry, even a weak one: its experts know the area."""
    if not result.ranked:
        return ""
    entry = faq.get(ctx.conn, entry_id=result.ranked[0].id)
    return entry.topic if entry else ""


def _feedback_buttons(ctx: Ctx, question_id: int) -> tuple[Button, ...]:
    value = str(question_id)
    return (
        Button(ctx.t("faq.btn_helpful"), "faq.helpful", value, "primary"),
        Button(ctx.t("faq.btn_not_helpful"), "faq.not_helpful", value),
        Button(ctx.t("faq.btn_human"), "faq.human", value),
    )


def _answer_card(ctx: Ctx, result: Result, question_id: int, entry_id: int | None = None) -> Reply:
    """The entry's answer in the thread, with the asker's buttons."""
    entry = faq.get(ctx.conn, entry_id=entry_id or result.hits[0].id)
    if entry is None:
        raise Refusal("faq.question_gone")
    faq.count_feedback(ctx.conn, entry_id=entry.id, column="views")
    title = ctx.t("faq.answer_title", id=entry.id, question=entry.question)
    card = Card(title=title, body=entry.answer, buttons=_feedback_buttons(ctx, question_id))
    return Reply(title, card=card, to=thread_of(ctx))


def _suggestions(ctx: Ctx, result: Result, question_id: int) -> Reply:
    """Up to three close entries as buttons that show their answers, and Ask a human."""
    found = faq.get_many(ctx.conn, ids=[h.id for h in result.hits])
    entries = [found[h.id] for h in result.hits if h.id in found]
    buttons = [
        Button(f"#{e.id} {e.question[:60]}", "faq.pick", f"{question_id}:{e.id}") for e in entries
    ]
    buttons.append(Button(ctx.t("faq.btn_human"), "faq.human", str(question_id)))
    lines = [f"• #{e.id} {e.question}" for e in entries]
    title = ctx.t("faq.suggest_title")
    card = Card(title=title, body="\n".join(lines), buttons=tuple(buttons))
    return Reply(title, card=card, to=thread_of(ctx))


def _question(ctx: Ctx, value: str) -> tuple[int, str, str, int | None]:
    """(id, text, asker, entry) of the lookup a button belongs to."""
    number = int(value) if value.isdigit() else 0
    row = faq_escalations.question(ctx.conn, question_id=number)
    if row is None or row["ws"] != ctx.ws:
        raise Refusal("faq.question_gone")
    return number, row["text"], row["asker_id"], row["entry_id"]


@router.action("faq.pick")
def pick(ctx: Ctx, value: str) -> Reply:
    """Show the answer of a suggested entry. The asker's own pick is the lookup's answer, and
    their wording becomes a learned phrasing of the entry, so it is answered next time."""
    question_value, _, entry_value = value.partition(":")
    number, text, asker, _ = _question(ctx, question_value)
    entry = faq.get(ctx.conn, entry_id=int(entry_value) if entry_value.isdigit() else 0)
    if entry is None:
        raise Refusal("faq.question_gone")
    faq.count_feedback(ctx.conn, entry_id=entry.id, column="views")
    card = entry_card(ctx, entry)
    card = Card(card.title, card.body, card.fields, _feedback_buttons(ctx, number))
    if ctx.actor.user_id == asker:
        faq_escalations.set_entry(ctx.conn, question_id=number, entry_id=entry.id)
        learn_phrasing(ctx, entry, text, source="pick")
    return Reply(card.title, card=card)


@router.action("faq.helpful")
def helpful(ctx: Ctx, value: str) -> Reply:
    """The answer helped: count it once."""
    number, _, _, entry_id = _question(ctx, value)
    if not faq_escalations.set_feedback(ctx.conn, question_id=number, helpful=True):
        return Reply(ctx.t("faq.feedback_done"), ephemeral=True)
    if entry_id is not None:
        faq.count_feedback(ctx.conn, entry_id=entry_id, column="helpful")
    return Reply(ctx.t("faq.thanks"), ephemeral=True)


@router.action("faq.not_helpful")
def not_helpful(ctx: Ctx, value: str) -> list[Reply]:
    """The answer did not help: count it, remember that this question is not that entry (it is
    not offered for it again), and ask people."""
    number, text, asker, entry_id = _question(ctx, value)
    if not faq_escalations.set_feedback(ctx.conn, question_id=number, helpful=False):
        return [Reply(ctx.t("faq.feedback_done"), ephemeral=True)]
    if entry_id is not None:
        faq.count_feedback(ctx.conn, entry_id=entry_id, column="not_helpful")
        if ctx.actor.user_id == asker:
            faq_learning.reject(
                ctx.conn,
                digest=question_digest(text),
                entry_ids=[entry_id],
                by_id=ctx.actor.user_id,
                now=ctx.now,
            )
    return _to_people(ctx, number, text, asker, entry_id)


@router.action("faq.human")
def human(ctx: Ctx, value: str) -> list[Reply]:
    """Ask a human, whatever the FAQ said (the lookup no longer counts as settled)."""
    number, text, asker, entry_id = _question(ctx, value)
    faq_escalations.set_asked_human(ctx.conn, question_id=number)
    return _to_people(ctx, number, text, asker, entry_id)


def _to_people(ctx: Ctx, number: int, text: str, asker: str, entry_id: int | None) -> list[Reply]:
    """Escalate a looked-up question from its buttons, in the question's language."""
    ctx = speaking(ctx, text)
    entry = faq.get(ctx.conn, entry_id=entry_id) if entry_id is not None else None
    row = faq_escalations.question(ctx.conn, question_id=number)
    assert row is not None
    place = Target.parse(row["place"])
    topic = entry.topic if entry else ""
    return escalate(ctx, text, question_id=number, topic=topic, asker_id=asker, place=place)
