"""Handing a question to people when the FAQ has no answer: who is asked, the SLA clock, the
experts' buttons, replies captured from the thread, and ``faq learn`` turning an answer into an
FAQ entry. The SLA steps themselves run in :mod:`commands.faq.ticks`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from bot import mentions
from bot.context import Ctx, Refusal
from bot.events import Target
from bot.i18n import Translator
from bot.replies import Button, Card, Reply
from bot.routing import Router
from commands.faq.common import (
    asked_by,
    check_lengths,
    entry_id,
    language_of,
    learn_phrasing,
    load_entry,
    people,
    plain,
    speaking,
)
from commands.faq.search import question_digest
from commands.faq.text import question_key
from commands.timefmt import deadline
from storage import faq, faq_escalations, faq_learning
from storage.faq import EntryRow, NewEntry
from storage.faq_escalations import EscalationRow

router = Router("faq.escalate")

_ENTRY_REF = re.compile(r"^#(\d{1,9})\s*$")
_URGENT_FLAG = re.compile(r"(?:^|\s)!(?:urgent|紧急|加急)(?=\s|$)", re.IGNORECASE)


def strip_flag(text: str) -> tuple[str, bool]:
    """The question without an ``!urgent`` flag, and whether it had one."""
    cleaned = _URGENT_FLAG.sub(" ", text)
    return " ".join(cleaned.split()), cleaned != text


def choose_experts(ctx: Ctx, topic: str, place: Target, asker_id: str) -> list[str]:
    """The topic's experts, else the channel's, else the admins; the asker is left out unless
    they are the only one who could answer."""
    scopes = [f"#{topic}"] if topic else []
    if not place.is_direct:
        scopes.append(str(place.without_thread()))
    found: list[str] = []
    for scope in scopes:
        if found := faq.experts(ctx.conn, ws=ctx.ws, scope=scope):
            break
    found = found or sorted(ctx.settings.admins)
    return [u for u in found if u != asker_id] or found


def expert_card(translator: Translator, row: EscalationRow, locale: str, due: str) -> Card:
    """The question with the experts' buttons, in ``locale``."""
    t = translator.t
    priority = t(
        "faq.priority_urgent" if row.priority == "urgent" else "faq.priority_normal", locale
    )
    body = t(
        "faq.escalation_body",
        locale,
        asker=mentions.token(row.asker_id),
        question=row.question,
        priority=priority,
        due=due,
    )
    value = str(row.id)
    return Card(
        title=t("faq.escalation_title", locale, id=row.id),
        body=body,
        buttons=(
            Button(t("faq.btn_on_it", locale), "faq.on_it", value, "primary"),
            Button(t("faq.btn_resolved", locale), "faq.resolve", value),
            Button(t("faq.btn_save", locale), "faq.save", value),
            Button(t("faq.btn_never_mind", locale), "faq.withdraw", value),
        ),
    )


def escalate(
    ctx: Ctx,
    question: str,
    *,
    question_id: int | None,
    topic: str,
    asker_id: str,
    place: Target,
    helpers: Sequence[str] = (),
    told_key: str = "faq.escalated",
) -> list[Reply]:
    """Ask people, once per open question: ``helpers`` when given, else :func:`choose_experts`.
    In a channel they are mentioned in the thread with their buttons; for a DM question each gets
    the card by DM. The asker is told (``told_key``) who was asked and by when."""
    text, flagged = strip_flag(question)
    folded = question_key(text) or text.strip()[:2000]
    existing = faq_escalations.find_open(ctx.conn, ws=ctx.ws, folded=folded)
    if existing is not None:
        _link(ctx, question_id, existing.id)
        asked = deadline(existing.created_at, ctx.tz, ctx.locale)
        linked = ctx.t("faq.linked", asked=asked, experts=people(existing.experts), id=existing.id)
        return [Reply(linked, to=place)]
    experts = list(helpers) or choose_experts(ctx, topic, place, asker_id)
    if not experts:
        return [Reply(ctx.t("faq.no_experts"), to=place)]
    urgent = flagged or any(word in text.casefold() for word in ctx.settings.faq_urgent_words)
    minutes = ctx.settings.faq_urgent_sla_minutes if urgent else ctx.settings.faq_sla_minutes
    number = faq_escalations.open_escalation(
        ctx.conn,
        ws=ctx.ws,
        question=text,
        folded=folded,
        asker_id=asker_id,
        place=str(place),
        topic=topic,
        priority="urgent" if urgent else "normal",
        experts=experts,
        now=ctx.now,
        due_at=ctx.now + timedelta(minutes=minutes),
    )
    _link(ctx, question_id, number)
    row = faq_escalations.get(ctx.conn, escalation_id=number)
    assert row is not None
    due = deadline(row.due_at, ctx.tz, ctx.locale)
    told = ctx.t(
        told_key,
        asker=mentions.token(asker_id),
        experts=people(experts),
        id=number,
        priority=ctx.t(f"faq.priority_{row.priority}"),
        due=due,
    )
    if place.is_direct:
        return [Reply(told, to=place), *(_expert_dm(ctx, row, uid) for uid in experts)]
    card = expert_card(ctx.translator, row, ctx.locale, due)
    return [Reply(told, card=card, to=place)]


def _link(ctx: Ctx, question_id: int | None, escalation_id: int) -> None:
    if question_id is not None:
        faq_escalations.link_question(
            ctx.conn, question_id=question_id, escalation_id=escalation_id
        )


def _expert_dm(ctx: Ctx, row: EscalationRow, user_id: str) -> Reply:
    """The experts' card by DM, in the expert's language and time zone."""
    locale, tz = ctx.reader(user_id)
    card = expert_card(ctx.translator, row, locale, deadline(row.due_at, tz, locale))
    return Reply(card.title, card=card, to=Target.parse(f"{ctx.ws}/@{user_id}"))


def _may_answer(ctx: Ctx, row: EscalationRow) -> bool:
    """The people asked, FAQ editors and admins: an answer becomes an FAQ entry everyone is
    shown, and a response stops the SLA clock the asker is waiting on."""
    user = ctx.actor.user_id
    return ctx.is_admin or user in row.experts or faq.is_editor(ctx.conn, ws=ctx.ws, user_id=user)


def _require_answerer(ctx: Ctx, row: EscalationRow) -> None:
    """Refuse anyone but :func:`_may_answer`'s people."""
    if not _may_answer(ctx, row):
        raise Refusal("faq.forbidden_answer", experts=people(row.experts))


def _open_row(ctx: Ctx, value: str) -> EscalationRow:
    """The escalation a button or command names, or a polite refusal."""
    number = int(value) if value.isdigit() else 0
    row = faq_escalations.get(ctx.conn, escalation_id=number)
    if row is None or row.ws != ctx.ws:
        raise Refusal("faq.escalation_missing", id=number)
    return row


@router.action("faq.on_it")
def on_it(ctx: Ctx, value: str) -> Reply:
    """First response: stops the SLA steps and tells the thread who took it."""
    row = _open_row(ctx, value)
    ctx = speaking(ctx, row.question)
    _require_answerer(ctx, row)
    if row.status != "open":
        return Reply(ctx.t("faq.escalation_closed", id=row.id), ephemeral=True)
    who = mentions.token(ctx.actor.user_id)
    if not faq_escalations.respond(
        ctx.conn, escalation_id=row.id, user_id=ctx.actor.user_id, now=ctx.now
    ):
        first = mentions.token(row.responder_id or ctx.actor.user_id)
        return Reply(ctx.t("faq.already_on_it", who=first, id=row.id), ephemeral=True)
    return Reply(ctx.t("faq.on_it", who=who, id=row.id), to=Target.parse(row.place))


@router.action("faq.resolve")
def resolve(ctx: Ctx, value: str) -> Reply:
    """Close the escalation (no FAQ entry made). The asker's own Resolved is a "never mind"."""
    row = _open_row(ctx, value)
    ctx = speaking(ctx, row.question)
    if ctx.actor.user_id == row.asker_id and not _may_answer(ctx, row):
        return withdraw(ctx, value)
    _require_answerer(ctx, row)
    if not faq_escalations.resolve(
        ctx.conn, escalation_id=row.id, user_id=ctx.actor.user_id, now=ctx.now
    ):
        return Reply(ctx.t("faq.escalation_closed", id=row.id), ephemeral=True)
    who = mentions.token(ctx.actor.user_id)
    return Reply(ctx.t("faq.resolved", who=who, id=row.id), to=Target.parse(row.place))


@router.action("faq.withdraw")
def withdraw(ctx: Ctx, value: str) -> Reply:
    """The asker no longer needs an answer: closed as withdrawn, which stops the SLA steps but
    is no response from anyone (``faq stats`` does not count it as one)."""
    row = _open_row(ctx, value)
    ctx = speaking(ctx, row.question)
    if ctx.actor.user_id != row.asker_id:
        raise Refusal("faq.forbidden_withdraw")
    if not faq_escalations.withdraw(ctx.conn, escalation_id=row.id, now=ctx.now):
        return Reply(ctx.t("faq.escalation_closed", id=row.id), ephemeral=True)
    who = mentions.token(ctx.actor.user_id)
    return Reply(ctx.t("faq.withdrawn", who=who, id=row.id), to=Target.parse(row.place))


@router.action("faq.save")
def save(ctx: Ctx, value: str) -> list[Reply]:
    """Save the latest reply in the thread as the answer, or say how to give one."""
    row = _open_row(ctx, value)
    ctx = speaking(ctx, row.question)
    _require_answerer(ctx, row)
    if row.status != "open":
        return [Reply(ctx.t("faq.escalation_closed", id=row.id), ephemeral=True)]
    if not row.reply:
        return [Reply(ctx.t("faq.save_how", id=row.id), ephemeral=True)]
    return learn_answer(ctx, row, row.reply)


@router.command(
    "faq learn",
    "知识库 收录",
    "知识库 学习",
    usage="faq learn <escalation> <answer> | faq learn <escalation> #<entry>",
)
def learn(ctx: Ctx, args: str) -> list[Reply]:
    """Answer an escalated question: a new FAQ entry, or #entry when one already answers it.
    zh: 回答升级的问题:存为新条目;已有条目能回答时写 #编号。
    """
    number, answer = entry_id(args, "faq.usage_learn")
    if not answer:
        raise Refusal("faq.usage_learn")
    row = _open_row(ctx, str(number))
    _require_answerer(ctx, row)
    if row.status != "open":
        raise Refusal("faq.escalation_closed", id=row.id)
    existing = _ENTRY_REF.match(answer)
    if existing:
        return _learn_phrasing_of(ctx, row, load_entry(ctx, int(existing.group(1))))
    return learn_answer(ctx, row, plain(ctx, answer))


def _learn_phrasing_of(ctx: Ctx, row: EscalationRow, entry: EntryRow) -> list[Reply]:
    """An existing entry answers the escalated question: the question becomes one of its
    phrasings (learned, for editors to review), the escalation is resolved with it, and the
    asker is given its answer."""
    learn_phrasing(ctx, entry, row.question, source="expert")
    return _resolved_with(ctx, row, entry.id, entry.answer)


def learn_answer(ctx: Ctx, row: EscalationRow, answer: str) -> list[Reply]:
    """Store question and answer as an entry (tagged with the topic), resolve the escalation, and
    give the asker the answer where they asked, in their own language."""
    check_lengths(row.question, answer)
    number = asked_by(ctx, row.question)
    if number is not None:  # the FAQ had this question and its answer did not help: replace it
        faq.update(ctx.conn, entry_id=number, now=ctx.now, answer=answer)
    else:
        tags = (row.topic,) if row.topic else ()
        entry = NewEntry(question=row.question, answer=answer, tags=tags)
        [number] = faq.add_many(ctx.conn, entries=[entry], owner_id=ctx.actor.user_id, now=ctx.now)
    return _resolved_with(ctx, row, number, answer)


def _resolved_with(ctx: Ctx, row: EscalationRow, number: int, answer: str) -> list[Reply]:
    """Resolve the escalation with entry ``number`` and give the asker its answer where they
    asked, in their own language."""
    faq_escalations.resolve(
        ctx.conn, escalation_id=row.id, user_id=ctx.actor.user_id, now=ctx.now, entry_id=number
    )
    # An expert's word outranks the asker's earlier "Not helpful" (the entry may have changed).
    faq_learning.unreject(ctx.conn, digest=question_digest(row.question), entry_id=number)
    locale = language_of(row.question, ctx.reader(row.asker_id)[0])
    told = ctx.translator.t(
        "faq.learned_asker",
        locale,
        asker=mentions.token(row.asker_id),
        entry=number,
        answer=answer,
    )
    return [
        ctx.say("faq.learned", entry=number, question=row.question),
        Reply(told, to=Target.parse(row.place)),
    ]


def capture_reply(ctx: Ctx, text: str) -> bool:
    """A reply in the thread of an open escalation, by someone other than the asker, is kept for
    Save as FAQ and counts as the first human response. True when ``text`` was one."""
    source = ctx.source
    if source.is_direct or not source.thread or not text.strip():
        return False
    thread = Target(source.platform, source.workspace, source.channel, source.thread)
    row = faq_escalations.open_at(ctx.conn, place=str(thread))
    if row is None or row.asker_id == ctx.actor.user_id:
        return False
    faq_escalations.keep_reply(
        ctx.conn,
        escalation_id=row.id,
        user_id=ctx.actor.user_id,
        text=plain(ctx, text),
        now=ctx.now,
    )
    return True
