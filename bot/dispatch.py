"""Picks the handler for one message and calls it. Pure routing: no I/O of its own."""

from __future__ import annotations

from bot.context import Ctx
from bot.replies import Reply
from bot.routing import Match, Matcher, Result

MAX_TEXT = 8000
CONVERSATION_ORDER = 20  # fallbacks below this order are open conversations


def as_list(result: Result) -> list[Reply]:
    """Handlers may return one reply, several, or None."""
    if result is None:
        return []
    if isinstance(result, Reply):
        return [result]
    return list(result)


def dispatch(ctx: Ctx, matcher: Matcher, match: Match | None, text: str) -> list[Reply]:
    """Route one normalised message (or button press) to its handler and return the replies."""
    inbound = ctx.inbound
    if inbound.action is not None:
        handler = matcher.actions.get(inbound.action.action)
        if handler is None:
            return [ctx.say("error.unknown_action")]
        return as_list(handler(ctx, inbound.action.value))
    if inbound.is_direct and len(text) > MAX_TEXT:
        return [ctx.say("error.too_long", length=len(text), limit=MAX_TEXT)]
    if match is not None:
        return as_list(match.command.handler(ctx, match.args))
    if inbound.is_direct and not text:
        return [ctx.say("error.empty")]
    suggestion = matcher.suggest(text) if inbound.is_direct else None
    # An open conversation (a standup answer such as "none") is not a mistyped command.
    if replies := _fallbacks(ctx, matcher, text, conversations=True):
        return replies
    if suggestion and len(text.split()) <= 4:
        return [_unknown(ctx, text, suggestion)]
    if replies := _fallbacks(ctx, matcher, text, conversations=False):
        return replies
    if inbound.is_direct:
        return [_unknown(ctx, text, suggestion)]
    return []


def _fallbacks(ctx: Ctx, matcher: Matcher, text: str, *, conversations: bool) -> list[Reply]:
    """Run the conversation fallbacks (order below ``CONVERSATION_ORDER``) or the others."""
    for fallback in matcher.fallbacks:
        if (fallback.order < CONVERSATION_ORDER) != conversations:
            continue
        if fallback.direct_only and not ctx.inbound.is_direct:
            continue
        replies = as_list(fallback.handler(ctx, text))
        if replies:
            return replies
    return []


def _unknown(ctx: Ctx, text: str, suggestion: str | None) -> Reply:
    if suggestion:
        word = text.split()[0][:40]
        if word.casefold() == suggestion:
            return ctx.say("error.unknown_subcommand", group=suggestion)
        return ctx.say("error.unknown_command", word=word, suggestion=suggestion)
    return ctx.say("error.unknown_command_plain")
