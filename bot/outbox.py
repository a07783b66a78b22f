"""The durable outbound queue every message Baton sends goes through.

A message is a row before it is sent. Delivery claims the row (``pending`` → ``sending`` with a lease),
calls the platform's sender, and records the platform's message id. A failure is retried with
exponential backoff, honouring a platform's ``Retry-After``; after ``max_attempts`` the row is parked for
an operator (``baton outbox``). A crash between claim and send leaves a ``sending`` row whose lease runs
out; the next drain sends it then, so it is late, never lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import sqlalchemy as sa

from bot.clock import Clock
from bot.events import Platform, Target
from bot.replies import Reply
from storage.models import OutboxMessage

log = logging.getLogger(__name__)
_outbox = OutboxMessage.__table__  # type: ignore[attr-defined]

# Built once: ticks enqueue thousands of rows, and building a statement costs more than running it.
_DEDUPED = sa.select(_outbox.c.id).where(_outbox.c.dedupe_key == sa.bindparam("b_key"))
_INSERT = _outbox.insert()

LEASE = timedelta(seconds=60)
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
    ) -> Queued | None:
        """Store a message in the caller's transaction; None if ``dedupe_key`` was already used."""
        now = self._clock.now()
        values = {
            "target": str(target),
            "payload": reply.to_json(),
            "status": "pending",
            "attempts": 0,
            "dedupe_key": dedupe_key,
            "created_at": now,
            "next_attempt_at": now,
        }
        if dedupe_key is not None and conn.execute(_DEDUPED, {"b_key": dedupe_key}).first():
            return None
        row_id = conn.execute(_INSERT, values).inserted_primary_key
        assert row_id is not None
        return Queued(int(row_id[0]), target, reply)

    async def deliver(self, items: Iterable[Queued]) -> None:
        """Send freshly queued messages now (the normal, immediate path)."""
        for item in items:
            if self._claim(item.id):
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
        """Send every message that is due (retries, and leases left by a crash); returns the count."""
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
        for row_id, target, payload in rows:
            target_obj = Target.parse(target)
            if self._claim(row_id, stale_ok=True):
                item = Queued(row_id, target_obj, Reply.from_json(payload, target_obj))
                sent += await self._send_claimed(item)
        return sent

    def _claim(self, row_id: int, *, stale_ok: bool = False) -> bool:
        now = self._clock.now()
        claimable = _outbox.c.status == "pending"
        if stale_ok:
            claimable = sa.or_(
                claimable, sa.and_(_outbox.c.status == "sending", _outbox.c.lease_until <= now)
            )
        with self._engine.begin() as conn:
            result = conn.execute(
                _outbox.update()
                .where(_outbox.c.id == row_id, claimable)
                .values(status="sending", lease_until=now + LEASE)
            )
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
                _outbox.update()
                .where(_outbox.c.id == item.id)
                .values(
                    status="sent", sent_at=self._clock.now(), message_ref=ref, lease_until=None
                )
            )
        return 1

    def _failed(self, row_id: int, exc: DeliveryError) -> None:
        now = self._clock.now()
        with self._engine.begin() as conn:
            attempts = conn.execute(
                sa.select(_outbox.c.attempts).where(_outbox.c.id == row_id)
            ).scalar_one()
            attempts += 1
            if exc.retry_after is not None:
                delay = timedelta(seconds=exc.retry_after)
            else:
                delay = min(timedelta(seconds=5 * 2 ** (attempts - 1)), MAX_BACKOFF)
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
