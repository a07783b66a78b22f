"""Picks the handler for one message and calls it. Pure routing: no I/O of its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.context import Ctx
from bot.events import Media
from bot.replies import Reply
from bot.routing import Fallback, Match, Matcher, Result
from storage import users

MAX_TEXT = 8000
MAX_HEARD = 200  # characters of a transcript quoted back in the answer


def as_list(result: Result) -> list[Reply]:
    """Handlers may return one reply, several, or None."""
    if result is None:
        return []
    if isinstance(result, Reply):
        return [result]
    return list(result)


def dispatch(ctx: Ctx, matcher: Matcher, match: Match | None, text: str) -> list[Reply]:
    """Route one normalised message (or button press) to its handler and return the replies
    (with, for the very first person to use Baton, how to become its admin)."""
    return [*_heard(ctx, _route(ctx, matcher, match, text)), *_first_run(ctx)]


def _heard(ctx: Ctx, replies: list[Reply]) -> list[Reply]:
    """The answer to a voice message starts with what Baton heard (the platform's transcript), so
    a misheard word is seen at once rather than found later in a task's title."""
    inbound = ctx.inbound
    if inbound.media is not Media.VOICE or not inbound.text:
        return replies
    heard = ctx.t("voice.heard", words=inbound.text[:MAX_HEARD])
    for index, reply in enumerate(replies):
        if reply.to is None and reply.card is None:
            replies[index] = replace(reply, text=f"{heard}\n{reply.text}")
            return replies
        if reply.to is None:  # a card shows its own words, not the text: say it before the card
            return [*replies[:index], Reply(heard), *replies[index:]]
    return replies


def _first_run(ctx: Ctx) -> list[Reply]:
    """With no ``BATON_ADMINS``, the first person to write to Baton is told how to become admin,
    once: on their first message, when nobody else has written yet."""
    if ctx.settings.admins or not ctx.inbound.is_direct:
        return []
    me = ctx.people.lookup(ctx.conn, ws=ctx.ws, user_id=ctx.actor.user_id)
    if me.messages != 1 or users.count(ctx.conn, ws=ctx.ws) != 1:
        return []
    return [ctx.say("welcome.no_admins", user=ctx.actor.user_id)]


def _route(ctx: Ctx, matcher: Matcher, match: Match | None, text: str) -> list[Reply]:
    """The replies of the handler the message is for."""
    inbound = ctx.inbound
    if inbound.action is not None:
        handler = matcher.actions.get(inbound.action.action)
        if handler is None:
            return [ctx.tell("error.unknown_action")]
        return as_list(handler(ctx, inbound.action.value))
    if inbound.is_direct and len(text) > MAX_TEXT:
        return [ctx.tell("error.too_long", length=len(text), limit=MAX_TEXT)]
    if match is not None:
        if replies := _conversation_first(ctx, matcher, match, text):
            return replies
        return as_list(match.command.handler(ctx, match.args))
    if inbound.is_direct and not text:
        return [_wordless(ctx)]
    suggestion = matcher.suggest(text) if inbound.is_direct else None
    # An open conversation (a standup answer such as "none") is not a mistyped command.
    if replies := _first_answer(ctx, matcher.conversations, text):
        return replies
    if suggestion and len(text.split()) <= 4:
        return [_unknown(ctx, text, suggestion)]
    if replies := _first_answer(ctx, matcher.fallbacks, text):
        return replies
    if inbound.is_direct:
        return [_unknown(ctx, text, suggestion)]
    return []


def _wordless(ctx: Ctx) -> Reply:
    """The answer to a message without words: a voice message the platform gave no transcript of,
    a picture or a file (say what Baton can read), or nothing at all."""
    media = ctx.inbound.media
    if media is None:
        return ctx.tell("error.empty")
    return ctx.tell("error.voice_unheard" if media is Media.VOICE else "error.words_only")


def _conversation_first(ctx: Ctx, matcher: Matcher, match: Match, text: str) -> list[Reply]:
    """While a conversation waits for answers, text that merely starts with a command word is an
    answer; a leading ``/`` (``/task list``) or a command the conversation names runs instead."""
    if ctx.inbound.text.lstrip().startswith(("/", "／")):
        return []
    group = match.command.usage.group
    waiting = [c for c in matcher.conversations if group not in c.commands_first]
    return _first_answer(ctx, waiting, text)


def _first_answer(ctx: Ctx, fallbacks: Sequence[Fallback], text: str) -> list[Reply]:
    """The replies of the first of ``fallbacks`` that takes the message (none when none does)."""
    for fallback in fallbacks:
        if fallback.direct_only and not ctx.inbound.is_direct:
            continue
        replies = as_list(fallback.handler(ctx, text))
        if replies:
            return replies
    return []


def _unknown(ctx: Ctx, text: str, suggestion: str | None) -> Reply:
    if suggestion:
        # Chinese is often typed without spaces: the typo is as long as the command it resembles.
        word = (text.split()[0] if text[:1].isascii() else text[: len(suggestion)])[:40]
        if word.casefold() == suggestion:
            return ctx.tell("error.unknown_subcommand", group=suggestion)
        return ctx.tell("error.unknown_command", word=word, suggestion=suggestion)
    return ctx.tell("error.unknown_command_plain")
