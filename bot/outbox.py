"""The durable outbound queue every message Baton sends goes through: the delivery policy.

A message is a row before it is sent. Delivery claims the row (``pending`` → ``sending`` with a lease),
calls the platform's sender, and records the platform's message id. A failure is retried with
exponential backoff, honouring a platform's ``Retry-After``; after ``max_attempts`` the row is parked for
an operator (``baton outbox``). A crash between claim and send leaves a ``sending`` row whose lease runs
out; the next drain sends it then, so it is late, never lost. The statements live in
:mod:`storage.outbox`.

Pacing (:mod:`bot.pacing`): each adapter declares how fast one chat of its platform may receive
messages. A message whose chat is still busy is not sent and not slept on: its row is pushed to the
chat's next free moment, so one busy channel never holds up the rest of the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa

from bot.clock import Clock
from bot.events import Platform, Target
from bot.pacing import Pace, Pacer
from bot.replies import Reply
from storage import outbox as rows
from storage.outbox import NewMessage, ParkedRow

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_BACKOFF = timedelta(hours=1)
CHUNK = 200

# The outbox row being sent right now, so a sender can pass a platform idempotency key without the
# ``Sender.send`` signature changing (see ``delivery_key``).
_sending_row: ContextVar[int | None] = ContextVar("baton_outbox_row", default=None)


def delivery_key() -> str | None:
    """A stable key for the message being delivered (its outbox row), the same on every retry:
    senders pass it to platforms that drop duplicate sends (Feishu's ``uuid``). None outside a
    delivery."""
    row = _sending_row.get()
    return None if row is None else f"baton-{row}"


class DeliveryError(Exception):
    """A send failed. ``retry_after`` (seconds) comes from a platform's rate-limit answer;
    ``permanent`` means retrying cannot help (the message is parked at once)."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class Sender(Protocol):
    """What the outbox needs from an adapter."""

    async def send(self, target: Target, reply: Reply) -> str | None:
        """Send ``reply`` to ``target``; return the platform's message id, if any."""
        ...


@dataclass(frozen=True, slots=True)
class Queued:
    """An outbox row just written: its id, where it goes and what it says."""

    id: int
    target: Target
    reply: Reply


class Outbox:
    """Stores, sends and retries outbound messages."""

    def __init__(self, engine: sa.Engine, clock: Clock, *, max_attempts: int = 8) -> None:
        self._engine = engine
        self._clock = clock
        self._max_attempts = max_attempts
        self._senders: dict[Platform, Sender] = {}
        self._pacer = Pacer()

    def register(self, platform: Platform, sender: Sender, *, pace: Pace | None = None) -> None:
        """Route messages for ``platform`` to ``sender``, at most as fast as ``pace`` per chat
        (None: as fast as it takes them)."""
        self._senders[platform] = sender
        self._pacer.set_pace(platform, pace)

    def enqueue(
        self,
        conn: sa.Connection,
        target: Target,
        reply: Reply,
        *,
        dedupe_key: str | None = None,
        claimed: bool = False,
    ) -> Queued | None:
        """Store a message in the caller's transaction; None if ``dedupe_key`` was already used.

        ``claimed`` stores it already leased to this process, for a caller that delivers it right
        after the commit (``deliver(..., claimed=True)``); should the process die first, the lease
        runs out and ``drain`` sends it."""
        now = self._clock.now()
        message = NewMessage(
            str(target),
            reply.to_json(),
            now,
            dedupe_key=dedupe_key,
            lease_until=now + LEASE if claimed else None,
        )
        row_id = rows.insert(conn, message=message)
        return None if row_id is None else Queued(row_id, target, reply)

    def enqueue_many(
        self, conn: sa.Connection, items: Sequence[tuple[Target, Reply, str]]
    ) -> list[Queued]:
        """Store many keyed messages in one statement (scheduled bursts); keys already used are
        skipped. Returns the rows written."""
        ids = rows.insert_many(
            conn,
            rows=[(str(target), reply.to_json(), key) for target, reply, key in items],
            now=self._clock.now(),
        )
        return [Queued(ids[key], t, r) for t, r, key in items if key in ids]

    async def deliver(self, items: Iterable[Queued], *, claimed: bool = False) -> None:
        """Send freshly queued messages now (the normal, immediate path); ``claimed`` items were
        enqueued already leased to this process."""
        for item in items:
            if not claimed and not self._claim(item.id):
                continue
            if free := self._pacer.busy_until(item.target, self._clock.now()):
                self._hand_back({free: [item.id]})  # sent by a later drain, when the chat is free
            else:
                await self._send_claimed(item)

    def complete(self, row_id: int, message_ref: str | None) -> bool:
        """Mark a pending row sent by other means (an adapter that answered inline, e.g. a card
        callback's response); False when it was already claimed by a sender."""
        with self._engine.begin() as conn:
            return rows.complete(
                conn, row_id=row_id, sent_at=self._clock.now(), message_ref=message_ref
            )

    async def drain(self, *, limit: int = 500) -> int:
        """Send every message that is due (retries, and leases left by a crash); returns the count.

        Rows are claimed in chunks (one UPDATE each) and recorded as sent one by one, so a crash
        re-sends at most the message that was in flight.
        """
        with self._engine.connect() as conn:
            due = rows.due(conn, now=self._clock.now(), limit=limit)
        sent = 0
        for start in range(0, len(due), CHUNK):
            chunk = due[start : start + CHUNK]
            claimed = self._claim_many([row_id for row_id, _, _ in chunk])
            later: dict[datetime, list[int]] = {}  # busy chats' rows, by when they are free
            for row_id, target, payload in chunk:
                if row_id not in claimed:
                    continue
                target_obj = Target.parse(target)
                if free := self._pacer.busy_until(target_obj, self._clock.now()):
                    later.setdefault(free, []).append(row_id)
                    continue
                item = Queued(row_id, target_obj, Reply.from_json(payload, target_obj))
                sent += await self._send_claimed(item)
            self._hand_back(later)
        return sent

    def _claim_many(self, row_ids: Sequence[int]) -> set[int]:
        """Claim several due rows in one statement; returns the ids this process now holds."""
        now = self._clock.now()
        with self._engine.begin() as conn:
            return rows.claim_many(conn, row_ids=row_ids, now=now, lease_until=now + LEASE)

    def _hand_back(self, later: Mapping[datetime, Sequence[int]]) -> None:
        """Return claimed rows of busy chats to the queue for their chat's next free moment."""
        if not later:
            return
        with self._engine.begin() as conn:
            for free, row_ids in later.items():
                rows.hand_back(conn, row_ids=row_ids, at=free)

    def _claim(self, row_id: int) -> bool:
        with self._engine.begin() as conn:
            return rows.claim(conn, row_id=row_id, lease_until=self._clock.now() + LEASE)

    async def _send_claimed(self, item: Queued) -> int:
        sender = self._senders.get(item.target.platform)
        if sender is None:
            self._failed(item.id, DeliveryError(f"no adapter for {item.target.platform}"))
            return 0
        row = _sending_row.set(item.id)
        try:
            ref = await sender.send(item.target, item.reply)
        except DeliveryError as exc:
            if exc.retry_after is not None:  # the whole chat is throttled, not just this row
                until = self._clock.now() + timedelta(seconds=exc.retry_after)
                self._pacer.throttled(item.target, until)
            self._failed(item.id, exc)
            return 0
        except Exception as exc:  # an adapter bug must not lose the message: retry it later
            log.exception("sending outbox message %s failed", item.id)
            self._failed(item.id, DeliveryError(repr(exc)))
            return 0
        finally:
            _sending_row.reset(row)
        with self._engine.begin() as conn:
            rows.mark_sent(conn, row_id=item.id, sent_at=self._clock.now(), message_ref=ref)
        return 1

    def _failed(self, row_id: int, exc: DeliveryError) -> None:
        now = self._clock.now()
        with self._engine.begin() as conn:
            attempts = rows.attempts(conn, row_id=row_id) + 1
            rows.record_failure(
                conn,
                row_id=row_id,
                attempts=attempts,
                parked=exc.permanent or attempts >= self._max_attempts,
                retry_at=now + _backoff(attempts, exc.retry_after),
                error=str(exc),
            )
        log.warning("outbox message %s failed (attempt %s): %s", row_id, attempts, exc)

    def counts(self) -> Mapping[str, int]:
        """How many rows are in each status."""
        with self._engine.connect() as conn:
            return rows.counts(conn)

    def parked(self, *, limit: int = 50) -> list[ParkedRow]:
        """Parked rows, oldest first."""
        with self._engine.connect() as conn:
            return rows.parked(conn, limit=limit)

    def retry_parked(self) -> int:
        """Put every parked message back in the queue; returns how many."""
        with self._engine.begin() as conn:
            return rows.retry_parked(conn, now=self._clock.now())

    def message_ref(self, row_id: int) -> str | None:
        """The platform message id recorded for a sent row."""
        with self._engine.connect() as conn:
            return rows.message_ref(conn, row_id=row_id)


def _backoff(attempts: int, retry_after: float | None) -> timedelta:
    """5 s, 10 s, 20 s … capped at an hour; a platform's ``Retry-After`` wins when it is given."""
    if retry_after is not None:
        return min(timedelta(seconds=max(retry_after, 0.0)), MAX_BACKOFF)
    return min(timedelta(seconds=5 * 2 ** min(attempts - 1, 20)), MAX_BACKOFF)
