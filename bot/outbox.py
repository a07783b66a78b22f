"""The durable outbound queue every message Baton sends goes through.

A message is a row before it is sent. Delivery claims the row (``pending`` → ``sending`` with a lease),
calls the platform's sender, and records the platform's message id. A failure is retried with
exponential backoff, honouring a platform's ``Retry-After``; after ``max_attempts`` the row is parked for
an operator (``baton outbox``). A crash between claim and send leaves a ``sending`` row whose lease runs
out; the next drain sends it then, so it is late, never lost.

Pacing (:mod:`bot.pacing`): a message whose chat is still busy is not sent and not slept on: its row is
pushed to the chat's next free moment (``next_attempt_at``), so one busy channel never holds up the
rest of the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot.clock import Clock
from bot.events import Platform, Target
from bot.pacing import PACING, Pace, Pacer
from bot.replies import Reply
from storage.bulk import driver_value, insert_new
from storage.models import OutboxMessage

log = logging.getLogger(__name__)
_outbox = OutboxMessage.__table__  # type: ignore[attr-defined]

LEASE = timedelta(seconds=60)

# Built once: the immediate path runs these for every reply Baton sends.
_INSERT = _outbox.insert()
# INSERT .. ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, per dialect: ticks run it per message.
_INSERT_KEYED = {
    "sqlite": sqlite.insert(_outbox)
    .on_conflict_do_nothing(index_elements=["dedupe_key"])
    .returning(_outbox.c.id),
    "postgresql": postgresql.insert(_outbox)
    .on_conflict_do_nothing(index_elements=["dedupe_key"])
    .returning(_outbox.c.id),
}
_CLAIM = (
    _outbox.update()
    .where(_outbox.c.id == sa.bindparam("b_id"), _outbox.c.status == "pending")
    .values(status="sending", lease_until=sa.bindparam("b_lease"))
)
_SENT = (
    _outbox.update()
    .where(_outbox.c.id == sa.bindparam("b_id"))
    .values(status="sent", lease_until=None)
)
MAX_BACKOFF = timedelta(hours=1)

# The outbox row being sent right now, so a sender can pass a platform idempotency key without the
# ``Sender.send`` signature changing (see ``delivery_key``).
_sending_row: ContextVar[int | None] = ContextVar("baton_outbox_row", default=None)


def delivery_key() -> str | None:
    """A stable key for the message being delivered (its outbox row), the same on every retry:
    senders pass it to platforms that drop duplicate sends (Feishu's ``uuid``). None outside a
    delivery."""
    row = _sending_row.get()
    return None if row is None else f"baton-{row}"


CHUNK = 200
_BULK_COLUMNS = (
    "target", "payload", "status", "attempts", "dedupe_key", "created_at", "next_attempt_at",
)  # fmt: skip


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

    def __init__(
        self,
        engine: sa.Engine,
        clock: Clock,
        *,
        max_attempts: int = 8,
        pacing: Mapping[Platform, Pace] = PACING,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._max_attempts = max_attempts
        self._senders: dict[Platform, Sender] = {}
        self._pacer = Pacer(pacing)

    def register(self, platform: Platform, sender: Sender) -> None:
        """Route messages for ``platform`` to ``sender``."""
        self._senders[platform] = sender

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
        values = self._row(target, reply, dedupe_key)
        if claimed:
            values.update(status="sending", lease_until=self._clock.now() + LEASE)
        if dedupe_key is None:
            row_id = conn.execute(_INSERT, values).inserted_primary_key
            assert row_id is not None
            return Queued(int(row_id[0]), target, reply)
        # INSERT .. ON CONFLICT DO NOTHING: two processes racing on one key never raise.
        found = conn.execute(_INSERT_KEYED[conn.dialect.name], values).first()
        return Queued(int(found[0]), target, reply) if found else None

    def enqueue_many(
        self, conn: sa.Connection, items: Sequence[tuple[Target, Reply, str]]
    ) -> list[Queued]:
        """Store many keyed messages in one statement (scheduled bursts); keys already used are
        skipped. Returns the rows written."""
        if not items:
            return []
        now = driver_value(conn, _outbox.c.created_at, self._clock.now())
        rows = [
            (str(target), reply.to_json(), "pending", 0, key, now, now)
            for target, reply, key in items
        ]
        ids = {
            key: int(i)
            for i, key in insert_new(
                conn, _outbox, _BULK_COLUMNS, rows, unique=["dedupe_key"],
                returning=["id", "dedupe_key"],
            )
        }  # fmt: skip
        return [Queued(ids[key], t, r) for t, r, key in items if key in ids]

    def _row(self, target: Target, reply: Reply, dedupe_key: str | None) -> dict[str, object]:
        now = self._clock.now()
        return {
            "target": str(target),
            "payload": reply.to_json(),
            "status": "pending",
            "attempts": 0,
            "dedupe_key": dedupe_key,
            "created_at": now,
            "next_attempt_at": now,
        }

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
            result = conn.execute(
                _outbox.update()
                .where(_outbox.c.id == row_id, _outbox.c.status == "pending")
                .values(status="sent", sent_at=self._clock.now(), message_ref=message_ref)
            )
        return result.rowcount == 1

    async def drain(self, *, limit: int = 500) -> int:
        """Send every message that is due (retries, and leases left by a crash); returns the count.

        Rows are claimed in chunks (one UPDATE each) and recorded as sent one by one, so a crash
        re-sends at most the message that was in flight.
        """
        now = self._clock.now()
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(_outbox.c.id, _outbox.c.target, _outbox.c.payload)
                .where(
                    sa.or_(
                        sa.and_(_outbox.c.status == "pending", _outbox.c.next_attempt_at <= now),
                        sa.and_(_outbox.c.status == "sending", _outbox.c.lease_until <= now),
                    )
                )
                .order_by(_outbox.c.id)
                .limit(limit)
            ).all()
        sent = 0
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
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
        claimable = sa.or_(
            _outbox.c.status == "pending",
            sa.and_(_outbox.c.status == "sending", _outbox.c.lease_until <= now),
        )
        with self._engine.begin() as conn:
            result = conn.execute(
                _outbox.update()
                .where(_outbox.c.id.in_(row_ids), claimable)
                .values(status="sending", lease_until=now + LEASE)
                .returning(_outbox.c.id)
            )
            return {int(row_id) for (row_id,) in result}

    def _hand_back(self, later: Mapping[datetime, Sequence[int]]) -> None:
        """Return claimed rows of busy chats to the queue for their chat's next free moment."""
        if not later:
            return
        with self._engine.begin() as conn:
            for free, row_ids in later.items():
                conn.execute(
                    _outbox.update()
                    .where(_outbox.c.id.in_(row_ids), _outbox.c.status == "sending")
                    .values(status="pending", next_attempt_at=free, lease_until=None)
                )

    def _claim(self, row_id: int) -> bool:
        now = self._clock.now()
        with self._engine.begin() as conn:
            result = conn.execute(_CLAIM, {"b_id": row_id, "b_lease": now + LEASE})
        return result.rowcount == 1

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
            conn.execute(
                _SENT, {"b_id": item.id, "sent_at": self._clock.now(), "message_ref": ref}
            )
        return 1

    def _failed(self, row_id: int, exc: DeliveryError) -> None:
        now = self._clock.now()
        with self._engine.begin() as conn:
            attempts = conn.execute(
                sa.select(_outbox.c.attempts).where(_outbox.c.id == row_id)
            ).scalar_one()
            attempts += 1
            delay = _backoff(attempts, exc.retry_after)
            parked = exc.permanent or attempts >= self._max_attempts
            conn.execute(
                _outbox.update()
                .where(_outbox.c.id == row_id)
                .values(
                    status="parked" if parked else "pending",
                    attempts=attempts,
                    next_attempt_at=now + delay,
                    lease_until=None,
                    last_error=str(exc)[:1000],
                )
            )
        log.warning("outbox message %s failed (attempt %s): %s", row_id, attempts, exc)

    def counts(self) -> Mapping[str, int]:
        """How many rows are in each status."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(_outbox.c.status, sa.func.count()).group_by(_outbox.c.status)
            ).all()
        return {str(status): int(n) for status, n in rows}

    def parked(self, *, limit: int = 50) -> list[tuple[int, str, str, int]]:
        """Parked rows: id, target, last error, attempts."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(_outbox.c.id, _outbox.c.target, _outbox.c.last_error, _outbox.c.attempts)
                .where(_outbox.c.status == "parked")
                .order_by(_outbox.c.id)
                .limit(limit)
            ).all()
        return [(int(i), str(t), str(e or ""), int(a)) for i, t, e, a in rows]

    def retry_parked(self) -> int:
        """Put every parked message back in the queue; returns how many."""
        with self._engine.begin() as conn:
            return conn.execute(
                _outbox.update()
                .where(_outbox.c.status == "parked")
                .values(status="pending", attempts=0, next_attempt_at=self._clock.now())
            ).rowcount

    def message_ref(self, row_id: int) -> str | None:
        """The platform message id recorded for a sent row."""
        with self._engine.connect() as conn:
            return conn.execute(
                sa.select(_outbox.c.message_ref).where(_outbox.c.id == row_id)
            ).scalar_one_or_none()


def _backoff(attempts: int, retry_after: float | None) -> timedelta:
    """5 s, 10 s, 20 s … capped at an hour; a platform's ``Retry-After`` wins when it is given."""
    if retry_after is not None:
        return min(timedelta(seconds=max(retry_after, 0.0)), MAX_BACKOFF)
    return min(timedelta(seconds=5 * 2 ** min(attempts - 1, 20)), MAX_BACKOFF)
