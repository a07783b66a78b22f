"""The durable outbound queue every message Baton sends goes through: the delivery policy.

A message is a row before it is sent. Delivery claims the row (``pending`` → ``sending``, held by this
process on a short lease that is renewed while it works), calls the platform's sender, and records
the platform's message id. A failure is retried with exponential backoff, honouring a platform's
``Retry-After``; after ``max_attempts`` the row is parked for an operator (``baton outbox``). The
statements live in :mod:`storage.outbox`.

A sent row is recorded as sent in the next transaction the process commits anyway (the next
message's) or within ``MARK_DELAY``, many rows in one statement: a commit per message, not one more
per reply.

A process that dies while sending leaves ``sending`` rows behind. They are claimed again when their
lease runs out, or by a process that knows their holder is gone (the same machine, restarted:
:mod:`bot.instance`) once ``GONE_GRACE`` has passed since it first saw so. Such a message may
already have reached the platform, so its sender is told (``current_delivery().interrupted``) and
checks before sending again where the platform allows it; the grace lets a request the dead
process had on its way land first, so the check sees it. Claims are small batches, so one crash
never leaves many rows waiting.

Pacing (:mod:`bot.pacing`): each adapter declares how fast one chat of its platform may receive
messages. A message whose chat is still busy is not sent and not slept on: its row is pushed to the
chat's next free moment, so one busy channel never holds up the rest of the queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa

from bot.clock import Clock
from bot.events import Platform, Target
from bot.instance import Instance
from bot.metrics import Metrics
from bot.pacing import Pace, chat_key, pacer_for
from bot.replies import Reply
from storage import outbox as rows
from storage.outbox import DueRow, NewMessage, ParkedRow, SentMark

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=20)
RENEW_AFTER = LEASE / 3  # a sender that has held its rows this long extends their leases
MAX_BACKOFF = timedelta(hours=1)
CHUNK = 32  # rows claimed at a time; their chats are sent to side by side
# Sent marks wait this long (seconds) for the next commit to share; a crash in between leaves the
# rows "sending", taken over as interrupted sends that the platform is asked about first.
MARK_DELAY = 0.02
# How long a holder must have been seen gone before its rows are taken over: long enough for the
# last request it had on its way to land on the platform (a busy platform, or a busy machine,
# answers in seconds), short beside the lease other machines' rows wait for.
GONE_GRACE = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outbox row being sent right now: its id, when it was queued, and whether an earlier
    attempt was cut short (the message may be on the platform already)."""

    row_id: int
    queued_at: datetime
    interrupted: bool = False

    @property
    def key(self) -> str:
        """A stable key for this message, the same on every retry."""
        return f"baton-{self.row_id}"


# The delivery in progress, so a sender can use it without the ``Sender.send`` signature changing.
_delivery: ContextVar[Delivery | None] = ContextVar("baton_outbox_delivery", default=None)


def current_delivery() -> Delivery | None:
    """The message being delivered (None outside a delivery): senders pass its key to platforms
    that drop duplicate sends (Feishu's ``uuid``), mark messages with it (Slack metadata), and look
    for an ``interrupted`` message before sending it again."""
    return _delivery.get()


def delivery_key() -> str | None:
    """``current_delivery().key``, or None outside a delivery."""
    delivery = _delivery.get()
    return None if delivery is None else delivery.key


class DeliveryError(Exception):
    """A send failed. ``retry_after`` (seconds) comes from a platform's rate-limit answer;
    ``permanent`` means retrying cannot help (the message is parked at once); ``uncertain`` means
    no answer came (a timeout, a dropped connection), so the platform may have the message: its
    retry is an interrupted send, looked for before it is sent again."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        uncertain: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent
        self.uncertain = uncertain


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
    queued_at: datetime | None = field(default=None, compare=False)
    interrupted: bool = field(default=False, compare=False)


class Outbox:
    """Stores, sends and retries outbound messages."""

    def __init__(
        self,
        engine: sa.Engine,
        clock: Clock,
        *,
        max_attempts: int = 8,
        instance: Instance | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._engine = engine
        self._metrics = metrics or Metrics()
        self._clock = clock
        self._max_attempts = max_attempts
        self._instance = instance or Instance()
        self._senders: dict[Platform, Sender] = {}
        self._pacer = pacer_for(engine)
        self._renewed_at: datetime | None = None
        self._marks: list[SentMark] = []
        self._flush: asyncio.TimerHandle | None = None
        self._gone_since: dict[str, datetime] = {}  # holders seen gone, and since when

    @property
    def owner(self) -> str:
        """The name the rows this process holds carry."""
        return self._instance.owner

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

        ``claimed`` stores it already held by this process, for a caller that delivers it right
        after the commit (``deliver(..., claimed=True)``); should the process die first, the row is
        taken over and sent by another drain."""
        now = self._clock.now()
        message = NewMessage(
            str(target),
            reply.to_json(),
            now,
            dedupe_key=dedupe_key,
            lease_until=now + LEASE if claimed else None,
            owner=self.owner if claimed else None,
        )
        row_id = rows.insert(conn, message=message)
        return None if row_id is None else Queued(row_id, target, reply, now)

    def enqueue_many(
        self, conn: sa.Connection, items: Sequence[tuple[Target, Reply, str]]
    ) -> list[Queued]:
        """Store many keyed messages in one statement (scheduled bursts); keys already used are
        skipped. Returns the rows written."""
        now = self._clock.now()
        ids = rows.insert_many(
            conn,
            rows=[(str(target), reply.to_json(), key) for target, reply, key in items],
            now=now,
        )
        return [Queued(ids[key], t, r, now) for t, r, key in items if key in ids]

    async def deliver(self, items: Iterable[Queued], *, claimed: bool = False) -> None:
        """Send freshly queued messages now (the normal, immediate path); ``claimed`` items were
        enqueued already held by this process."""
        for item in items:
            if not claimed and not self._claim(item.id):
                continue
            self._keep_leases()
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
        """Send every message that is due (retries, and rows a stopped sender left); returns the
        count. Rows are claimed a small batch at a time and recorded as sent one by one, so a crash
        re-sends at most the messages in flight, and leaves few rows waiting. The chats of a batch
        are sent to side by side (a slow platform is waited on once per batch, not per message),
        each chat's messages one after another, in order."""
        self.flush_marks()  # rows this process sent are never taken for interrupted sends
        gone = self._gone_holders()
        sent = handled = 0
        while handled < limit:
            batch = self._claim_due(min(CHUNK, limit - handled), gone)
            if not batch:
                break
            handled += len(batch)
            self._keep_leases()
            later: dict[datetime, list[int]] = {}  # busy chats' rows, by when they are free
            chats: dict[str, list[Queued]] = {}
            for row in batch:
                target = Target.parse(row.target)
                if free := self._pacer.busy_until(target, self._clock.now()):
                    later.setdefault(free, []).append(row.id)
                    continue
                reply = Reply.from_json(row.payload, target)
                item = Queued(row.id, target, reply, row.created_at, row.interrupted)
                chats.setdefault(chat_key(target), []).append(item)
            sent += sum(await asyncio.gather(*(self._send_in_order(q) for q in chats.values())))
            self._hand_back(later)
        self.flush_marks()
        return sent

    async def _send_in_order(self, items: Sequence[Queued]) -> int:
        """Send one chat's messages one after another; returns how many went out."""
        sent = 0
        for item in items:
            sent += await self._send_claimed(item)
        return sent

    def _gone_holders(self) -> list[str]:
        """Holders of ``sending`` rows known to have stopped at least ``GONE_GRACE`` ago (their
        rows are taken over now). The grace counts from when this process first saw one gone: it
        died before that, so its last request has had at least that long to land."""
        now = self._clock.now()
        with self._engine.connect() as conn:
            holding = rows.holders(conn, now=now)
        gone = [owner for owner in holding if self._instance.is_gone(owner)]
        self._gone_since = {owner: self._gone_since.get(owner, now) for owner in gone}
        return sorted(
            owner for owner, since in self._gone_since.items() if now - since >= GONE_GRACE
        )

    def _claim_due(self, limit: int, gone: Sequence[str]) -> list[DueRow]:
        now = self._clock.now()
        with self._engine.begin() as conn:
            return rows.claim_due(
                conn, now=now, owner=self.owner, lease_until=now + LEASE, limit=limit, gone=gone
            )

    def _keep_leases(self) -> None:
        """Extend the leases of the rows this process holds, once a third of a lease has passed
        since it last did (a long batch or a slow platform must not let them run out)."""
        now = self._clock.now()
        if self._renewed_at is not None and now - self._renewed_at < RENEW_AFTER:
            return
        if self._renewed_at is not None:
            with self._engine.begin() as conn:
                rows.renew(conn, owner=self.owner, lease_until=now + LEASE)
        self._renewed_at = now

    def _hand_back(self, later: Mapping[datetime, Sequence[int]]) -> None:
        """Return claimed rows of busy chats to the queue for their chat's next free moment."""
        if not later:
            return
        with self._engine.begin() as conn:
            for free, row_ids in later.items():
                rows.hand_back(conn, row_ids=row_ids, at=free)

    def _claim(self, row_id: int) -> bool:
        with self._engine.begin() as conn:
            lease = self._clock.now() + LEASE
            return rows.claim(conn, row_id=row_id, owner=self.owner, lease_until=lease)

    async def _send_claimed(self, item: Queued) -> int:
        sender = self._senders.get(item.target.platform)
        if sender is None:
            self._failed(item, DeliveryError(f"no adapter for {item.target.platform}"))
            return 0
        queued_at = item.queued_at or self._clock.now()
        token = _delivery.set(Delivery(item.id, queued_at, item.interrupted))
        try:
            ref = await sender.send(item.target, item.reply)
        except DeliveryError as exc:
            if exc.retry_after is not None:  # the whole chat is throttled, not just this row
                until = self._clock.now() + timedelta(seconds=exc.retry_after)
                self._pacer.throttled(item.target, until)
            self._failed(item, exc)
            return 0
        except Exception as exc:  # an adapter bug must not lose the message: retry it later
            log.exception("sending outbox message %s failed", item.id)
            self._failed(item, DeliveryError(repr(exc), uncertain=True))  # it may have gone out
            return 0
        finally:
            _delivery.reset(token)
        self._marks.append(SentMark(item.id, self._clock.now(), ref))
        self._flush_soon()
        self._metrics.deliveries.labels(item.target.platform.value, "sent").inc()
        return 1

    def _failed(self, item: Queued, exc: DeliveryError) -> None:
        now = self._clock.now()
        with self._engine.begin() as conn:
            attempts = rows.attempts(conn, row_id=item.id) + 1
            parked = exc.permanent or attempts >= self._max_attempts
            rows.record_failure(
                conn,
                row_id=item.id,
                attempts=attempts,
                parked=parked,
                retry_at=now + _backoff(attempts, exc.retry_after),
                error=str(exc),
                uncertain=exc.uncertain,
            )
        result = "parked" if parked else "retry"
        self._metrics.deliveries.labels(item.target.platform.value, result).inc()
        log.warning("outbox message %s failed (attempt %s): %s", item.id, attempts, exc)

    def take_marks(self) -> list[SentMark]:
        """The sent marks not yet written, for a caller to write in its own transaction
        (``rows.mark_sent``); hand them back with ``keep_marks`` if that transaction fails."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        marks, self._marks = self._marks, []
        return marks

    def keep_marks(self, marks: Sequence[SentMark]) -> None:
        """Marks taken whose transaction failed: they wait for the next commit again."""
        self._marks[:0] = marks
        self._flush_soon()

    def _flush_soon(self) -> None:
        """Write the pending marks within ``MARK_DELAY`` unless a commit takes them first (with no
        event loop running, the next commit or drain takes them)."""
        if self._flush is not None or not self._marks:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._flush = loop.call_later(MARK_DELAY, self._flush_due)

    def _flush_due(self) -> None:
        """The timer's flush: a database that fails now leaves the marks for the next commit or
        drain (their rows stay leased to this process meanwhile)."""
        try:
            self.flush_marks()
        except Exception:
            log.warning("recording sent messages failed; they are recorded with the next commit")

    def flush_marks(self) -> None:
        """Write every pending sent mark now, in one transaction."""
        marks = self.take_marks()
        if not marks:
            return
        try:
            with self._engine.begin() as conn:
                rows.mark_sent(conn, marks=marks)
        except Exception:
            self._marks[:0] = marks  # for the next commit or drain, not a retry every few ms
            raise

    def counts(self) -> Mapping[str, int]:
        """How many rows are in each status."""
        self.flush_marks()
        with self._engine.connect() as conn:
            return rows.counts(conn)

    def parked(self, *, limit: int = 50) -> list[ParkedRow]:
        """Parked rows, oldest first."""
        self.flush_marks()
        with self._engine.connect() as conn:
            return rows.parked(conn, limit=limit)

    def retry_parked(self) -> int:
        """Put every parked message back in the queue; returns how many."""
        with self._engine.begin() as conn:
            return rows.retry_parked(conn, now=self._clock.now())

    def message_ref(self, row_id: int) -> str | None:
        """The platform message id recorded for a sent row."""
        self.flush_marks()
        with self._engine.connect() as conn:
            return rows.message_ref(conn, row_id=row_id)


def _backoff(attempts: int, retry_after: float | None) -> timedelta:
    """5 s, 10 s, 20 s … capped at an hour; a platform's ``Retry-After`` wins when it is given."""
    if retry_after is not None:
        return min(timedelta(seconds=max(retry_after, 0.0)), MAX_BACKOFF)
    return min(timedelta(seconds=5 * 2 ** min(attempts - 1, 20)), MAX_BACKOFF)
