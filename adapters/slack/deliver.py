"""Sending to Slack so that people see Baton's answers wherever they asked.

A slash command or shortcut may come from a conversation Baton cannot post in: a private channel it
was not invited to, or a DM between two other people. Slack hands every such request a
``response_url`` (good for five messages within 30 minutes), which the core passes on with each
answer (``Reply.origin``). So an answer is posted in the channel when Baton is a member; where it
is not, it goes through the ``response_url``; failing that, to the person who asked, by DM, naming
the conversation it answers. An answer is never parked just because its channel was out of reach.

Answers meant for one person (help, mistakes, refusals) are ephemeral: through the ``response_url``
while it lasts, else ``chat.postEphemeral``, else by DM; in Baton's own DM with someone they are
plain messages (everything there is for that person alone, and an ephemeral one would vanish).

Every message posted with ``chat.postMessage`` carries its outbox row in Slack message metadata,
and a message whose first attempt was cut short by a crash is looked for in its conversation
before it is posted again: exactly once. Ephemeral messages and ``response_url`` answers leave
nothing to look for; those are sent at least once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.render import answered_in, message_args
from bot.clock import Clock
from bot.events import Target
from bot.outbox import Delivery, DeliveryError, current_delivery
from bot.replies import Reply

log = logging.getLogger(__name__)

Json = dict[str, Any]
METADATA_TYPE = "baton_outbox"  # Slack message metadata naming the outbox row a message came from
CLOCK_SKEW = 60.0  # seconds of slack when looking for a message sent before a crash
# Slack gives a response_url 30 minutes; a little is kept back for the time the request takes.
RESPONSE_URL_LIFETIME = timedelta(minutes=29)
HOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})
# Answers: Baton cannot post in that conversation (it is not a member of a private channel or of
# a DM between two other people; the channel was archived or posting there is restricted).
UNREACHABLE = frozenset(
    {"channel_not_found", "not_in_channel", "is_archived", "restricted_action"}
)
# Errors retrying cannot fix: the message is parked for an operator at once.
PERMANENT_ERRORS = UNREACHABLE | frozenset(
    {
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_blocks_format",
        "user_not_found",
        "cant_update_message",
        "message_not_found",
        "edit_window_closed",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "not_authed",
        "missing_scope",
        "user_not_in_channel",
        "cannot_dm_bot",
        "messages_tab_disabled",
    }
)


class Deliverer:
    """Decides where each reply can be seen, and sends it there."""

    def __init__(self, client: AsyncWebClient, clock: Clock, *, api_url: str = "") -> None:
        self._client = client
        self._clock = clock
        # A response_url is trusted on Slack's own hosts (or the configured API's, for a Slack
        # served elsewhere): a payload naming any other address is never posted to.
        self._hook_hosts = HOOK_HOSTS | {urlsplit(api_url).netloc} - {""}

    async def send(self, target: Target, reply: Reply) -> str | None:
        """Deliver one reply; returns ``channel:ts`` (so its card can be updated later), or None
        for what only one person sees and what went through a ``response_url``."""
        args = message_args(reply)
        try:
            if reply.edit_ref:
                return await self._edit(reply, reply.edit_ref, args)
            if target.channel and target.user:
                if not _is_dm(target.channel):
                    return await self._ephemeral(target, reply, args)
                # A DM: two other people's (a slash command typed there), where only the
                # response_url can show it to one of them; or Baton's own with this person, where
                # a plain message is theirs alone (an ephemeral one would vanish).
                if await self._respond(reply, args, response_type="ephemeral"):
                    return None
                target = Target(target.platform, target.workspace, target.channel, target.thread)
            return await self._where_seen(target, reply, args)
        except SlackApiError as exc:
            raise _delivery_error(exc) from exc
        except (OSError, TimeoutError, aiohttp.ClientError) as exc:  # no answer: it may be posted
            raise DeliveryError(f"Slack unreachable: {exc!r}", uncertain=True) from exc

    # --- where an answer can be seen -----------------------------------------------------------

    async def _where_seen(self, target: Target, reply: Reply, args: Json) -> str | None:
        """In the channel when Baton may post there, else through the response_url, else to
        the person who asked."""
        if not target.channel:
            return await self._post(await self._dm_channel(str(target.user)), None, args)
        try:
            return await self._post(target.channel, target.thread, args)
        except SlackApiError as exc:
            if _error(exc) not in UNREACHABLE or reply.origin is None:
                raise
            log.info("Baton cannot post in %s (%s)", target.channel, _error(exc))
        if await self._respond(reply, args, response_type="in_channel"):
            return None
        return await self._to_asker(reply, args, target.channel)

    async def _ephemeral(self, target: Target, reply: Reply, args: Json) -> str | None:
        """Shown to one person in a channel: through the response_url while it lasts (it works
        where Baton is not a member), else ``chat.postEphemeral``, else by DM."""
        if await self._respond(reply, args, response_type="ephemeral"):
            return None
        try:
            thread: Json = {"thread_ts": target.thread} if target.thread else {}
            await self._client.chat_postEphemeral(
                channel=target.channel, user=str(target.user), **thread, **args
            )
            return None
        except SlackApiError as exc:
            if _error(exc) not in UNREACHABLE or reply.origin is None:
                raise
        return await self._to_asker(reply, args, target.channel)

    async def _edit(self, reply: Reply, ref: str, args: Json) -> str:
        """Update a card in place: an ephemeral one through its response_url; a message with
        ``chat.update``, or, where Baton is not a member, through the click's response_url."""
        if "://" in ref:
            if not await self._respond_to(ref, args, replace_original=True):
                raise DeliveryError("Slack response_url refused the update", permanent=True)
            return ref
        channel, _, ts = ref.partition(":")
        try:
            await self._client.chat_update(
                channel=channel, ts=ts, **{k: v for k, v in args.items() if k != "unfurl_links"}
            )
        except SlackApiError as exc:
            if _error(exc) not in UNREACHABLE or not await self._respond(
                reply, args, replace_original=True
            ):
                raise
        return ref

    async def _to_asker(self, reply: Reply, args: Json, channel: str) -> str | None:
        """The answer that cannot be shown where it was asked, in a DM to the person who asked,
        naming the conversation it answers."""
        if reply.origin is None:
            raise DeliveryError(f"Baton cannot post in {channel}", permanent=True)
        log.info("answer for %s sent by DM: Baton cannot post in %s", reply.origin.user, channel)
        dm = await self._dm_channel(reply.origin.user)
        return await self._post(dm, None, answered_in(args, channel))

    # --- response_url ---------------------------------------------------------------------------

    async def _respond(self, reply: Reply, args: Json, **how: Any) -> bool:
        """Answer through the response_url of the message ``reply`` answers, if it has one that
        still works; False when it has none, it expired or Slack refused it."""
        origin = reply.origin
        if origin is None or not origin.url or origin.asked_at is None:
            return False
        if self._clock.now() - origin.asked_at > RESPONSE_URL_LIFETIME:
            return False
        return await self._respond_to(origin.url, args, **how)

    async def _respond_to(self, url: str, args: Json, **how: Any) -> bool:
        """Post to a response_url; False when it is not Slack's or Slack refused it (used five
        times, expired). Rate limits and server errors are retried by the outbox."""
        if urlsplit(url).netloc not in self._hook_hosts:
            log.warning("Slack response_url ignored: not on a Slack host")
            return False
        webhook = AsyncWebhookClient(url, timeout=10)
        answer = await webhook.send(text=args["text"], blocks=args.get("blocks"), **how)
        if answer.status_code == 429:
            retry = answer.headers.get("retry-after") or answer.headers.get("Retry-After") or "1"
            raise DeliveryError("Slack rate limit on response_url", retry_after=float(retry))
        if answer.status_code >= 500:
            raise DeliveryError(f"Slack response_url answered {answer.status_code}")
        if answer.status_code >= 400:
            log.info("Slack response_url refused: %s", str(answer.body)[:60])
            return False
        return True

    # --- posting exactly once -------------------------------------------------------------------

    async def _post(self, channel: str, thread: str | None, args: Json) -> str:
        """``chat.postMessage`` marked with its outbox row; a message whose first attempt was cut
        short is looked for first, and not posted again when it is found."""
        delivery = current_delivery()
        extra: Json = {"thread_ts": thread} if thread else {}
        if delivery is not None:
            if delivery.interrupted and (found := await self._posted(channel, thread, delivery)):
                return found
            extra["metadata"] = {
                "event_type": METADATA_TYPE,
                "event_payload": {"row": delivery.row_id},
            }
        answer = await self._client.chat_postMessage(channel=channel, **args, **extra)
        return f"{answer.get('channel', channel)}:{answer.get('ts')}"

    async def _posted(self, channel: str, thread: str | None, delivery: Delivery) -> str | None:
        """``channel:ts`` of the message of ``delivery`` if its first, interrupted attempt reached
        Slack (found by its metadata in the conversation since it was queued); None otherwise, or
        when Slack cannot be asked (then it is posted again: at least once beats lost)."""
        oldest = f"{delivery.queued_at.timestamp() - CLOCK_SKEW:.6f}"
        try:
            if thread:
                answer = await self._client.conversations_replies(
                    channel=channel, ts=thread, oldest=oldest, include_all_metadata=True
                )
            else:
                answer = await self._client.conversations_history(
                    channel=channel, oldest=oldest, include_all_metadata=True, limit=200
                )
        except SlackApiError as exc:
            log.warning("cannot check Slack for message %s: %s", delivery.row_id, exc)
            return None
        return _find_row(answer.get("messages") or [], channel, delivery.row_id)

    async def _dm_channel(self, user_id: str) -> str:
        answer = await self._client.conversations_open(users=user_id)
        return str(answer["channel"]["id"])


def _find_row(messages: Iterable[Json], channel: str, row_id: int) -> str | None:
    """``channel:ts`` of the message carrying outbox row ``row_id`` in its metadata."""
    for message in messages:
        meta: Json = message.get("metadata") or {}
        payload: Json = meta.get("event_payload") or {}
        if meta.get("event_type") == METADATA_TYPE and payload.get("row") == row_id:
            log.info("outbox message %s had reached Slack already", row_id)
            return f"{channel}:{message.get('ts')}"
    return None


def _is_dm(channel: str) -> bool:
    """A direct-message conversation (Slack's ids for them start with ``D``)."""
    return channel.startswith("D")


def _error(exc: SlackApiError) -> str:
    response = exc.response
    return str(response.get("error", "")) if response is not None else ""


def _delivery_error(exc: SlackApiError) -> DeliveryError:
    """What a Slack error means for the outbox: wait (429), give up (permanent) or retry."""
    response = exc.response
    error = _error(exc)
    if response is not None and response.status_code == 429:
        retry = response.headers.get("retry-after") or response.headers.get("Retry-After") or "1"
        return DeliveryError(f"Slack rate limit: {error}", retry_after=float(retry))
    return DeliveryError(f"Slack error: {error}", permanent=error in PERMANENT_ERRORS)
