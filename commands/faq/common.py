"""What the FAQ commands share: who may edit, reading quoted arguments, and the card
that shows one entry."""

from __future__ import annotations

import dataclasses
import re
import unicodedata

from bot import mentions
from bot.context import Ctx, Refusal
from bot.i18n import Translator
from bot.replies import Card, Field
from commands.faq.text import cjk_share, has_content, question_key
from commands.timefmt import day_time
from storage import faq, faq_learning
from storage.faq import EntryRow

MAX_QUESTION = 1000
MAX_ANSWER = 8000
_QUOTES = "\"'“”‘’「」『』"
_TAGS_AT_END = re.compile(r"(?:\s+#[^\s#]{1,40})+\s*$")
_ID = re.compile(r"^#?(\d{1,9})\b\s*(.*)$", re.DOTALL)


def require_editor(ctx: Ctx) -> None:
    """Refuse unless the actor is an admin or a FAQ editor (nothing is written before this)."""
    if not (ctx.is_admin or faq.is_editor(ctx.conn, ws=ctx.ws, user_id=ctx.actor.user_id)):
        raise Refusal("faq.forbidden_edit")


def require_admin(ctx: Ctx) -> None:
    """Refuse unless the actor is an admin."""
    if not ctx.is_admin:
        raise Refusal("faq.forbidden_admin")


def plain(ctx: Ctx, text: str) -> str:
    """Stored FAQ text: mention tokens become plain ``@name`` so showing an answer never pings
    anyone (broadcasts were already made inert by the adapter)."""
    names = {a.user_id: a.name for a in ctx.inbound.mentions}
    return mentions.MENTION_RE.sub(lambda m: f"@{names.get(m.group(1), m.group(1))}", text)


def unquote(text: str) -> str:
    """``text`` without the quotes around it (straight, curly or corner brackets)."""
    return text.strip().strip(_QUOTES).strip()


def split_pair(args: str) -> tuple[str, str, tuple[str, ...]] | None:
    """Read ``"question" | "answer" #tag #tag``; None when there is no ``|``. A full-width ｜ is
    read as ``|``; tags are the ``#words`` at the very end."""
    text = unicodedata.normalize("NFKC", args) if "｜" in args else args
    question, bar, rest = text.partition("|")
    if not bar:
        return None
    tags_match = _TAGS_AT_END.search(rest)
    tags: tuple[str, ...] = ()
    if tags_match:
        tags = tuple(t.lstrip("#").casefold() for t in tags_match.group(0).split())
        rest = rest[: tags_match.start()]
    return unquote(question), unquote(rest), tuple(dict.fromkeys(tags))


def check_lengths(question: str | None = None, answer: str | None = None) -> None:
    """Refuse oversized text before anything is stored."""
    if question is not None and len(question) > MAX_QUESTION:
        raise Refusal("faq.question_too_long", length=len(question), limit=MAX_QUESTION)
    if answer is not None and len(answer) > MAX_ANSWER:
        raise Refusal("faq.answer_too_long", length=len(answer), limit=MAX_ANSWER)


def entry_id(args: str, usage: str) -> tuple[int, str]:
    """The leading entry (or escalation) number of ``args`` and the rest; refuses with ``usage``."""
    found = _ID.match(args.strip())
    if not found:
        raise Refusal(usage)
    return int(found.group(1)), found.group(2).strip()


def load_entry(ctx: Ctx, number: int) -> EntryRow:
    """The entry ``number`` or a polite refusal."""
    entry = faq.get(ctx.conn, entry_id=number)
    if entry is None:
        raise Refusal("faq.not_found", id=number)
    return entry


def entry_card(ctx: Ctx, entry: EntryRow) -> Card:
    """One entry as a card: question, answer, phrasings, tags and how it has been used."""
    fields = []
    if entry.alternates:
        fields.append(Field(ctx.t("faq.field_alternates"), " · ".join(entry.alternates)))
    if entry.tags:
        fields.append(Field(ctx.t("faq.field_tags"), " ".join(f"#{t}" for t in entry.tags)))
    usage = ctx.t(
        "faq.usage_figures",
        views=entry.views,
        helpful=entry.helpful,
        not_helpful=entry.not_helpful,
    )
    fields.append(Field(ctx.t("faq.field_usage"), usage))
    fields.append(
        Field(ctx.t("faq.field_updated"), day_time(entry.updated_at, ctx.tz, ctx.locale))
    )
    title = ctx.t("faq.answer_title", id=entry.id, question=entry.question)
    return Card(title=title, body=entry.answer, fields=tuple(fields))


def people(user_ids: list[str] | tuple[str, ...]) -> str:
    """Mention tokens for ``user_ids`` (broadcast ids never become mentions: see bot.mentions)."""
    return " ".join(mentions.token(u) for u in user_ids)


def span(translator: Translator, locale: str, seconds: float) -> str:
    """A duration as people say it: 25 min, 3 h 5 min, 2 d 4 h."""
    minutes = int(seconds // 60)
    if minutes < 60:
        return translator.t("faq.minutes", locale, minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return translator.t("faq.hours", locale, hours=hours, minutes=minutes)
    days, hours = divmod(hours, 24)
    return translator.t("faq.days", locale, days=days, hours=hours)


def language_of(question: str, fallback: str) -> str:
    """Chinese for a Chinese question, else ``fallback``: replies about a question (buttons,
    reminders) carry no words of their own to tell the language by."""
    return "zh" if cjk_share(question) > 0.5 else fallback


def speaking(ctx: Ctx, question: str) -> Ctx:
    """``ctx`` answering in the language of ``question`` (see :func:`language_of`)."""
    locale = language_of(question, ctx.locale)
    return ctx if locale == ctx.locale else dataclasses.replace(ctx, locale=locale)


def learn_phrasing(ctx: Ctx, entry: EntryRow, text: str, *, source: str) -> None:
    """Add ``text`` to ``entry`` as a phrasing Baton learned by use (``source`` pick or expert),
    for editors to review with ``faq learned``. Nothing is added when the FAQ already asks it
    that way, or when it is no question (a greeting, a lone emoji) or too long to be one."""
    if not has_content(text) or len(text) > MAX_QUESTION or asked_by(ctx, text) is not None:
        return
    phrasings = [*entry.alternates, text]
    faq.update(ctx.conn, entry_id=entry.id, now=ctx.now, alternates=phrasings)
    faq_learning.note_learned(
        ctx.conn,
        ws=ctx.ws,
        entry_id=entry.id,
        text=text,
        source=source,
        by_id=ctx.actor.user_id,
        now=ctx.now,
    )


def asked_by(ctx: Ctx, question: str) -> int | None:
    """The entry that already has ``question`` as its question or an alternate (spelling, case
    and punctuation aside), if any: two entries for one question would split its answers."""
    key = question_key(question)
    for number, phrasings in faq.phrasings(ctx.conn):
        if any(question_key(p) == key for p in phrasings):
            return number
    return None
