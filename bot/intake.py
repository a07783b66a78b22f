"""The durable intake: every platform event is stored before it is acknowledged, then run once.

Adapters hand each verified event to ``accept`` (the :class:`bot.sink.Sink` they are given), which
stores it in the inbox in one short transaction, held by this process on a lease, and queues it;
only then do they acknowledge it to the platform. Workers take queued events, ask the adapter to
translate them (people are looked up now, after the ack), and run them through the app: the inbox
row is marked done in the same transaction as everything the command wrote, so an event runs at
most once, and, being stored, at least once. Events of one chat run one after another, in the order
they came; different chats run side by side, and those ready at the same moment share one
transaction (group commit), each in a savepoint of its own.

A recovery loop renews the leases of the events this process holds and claims events nobody holds:
those of a process that died (its lease ran out, or, on the same machine, it is known to be gone)
and those whose run failed and whose retry is due. A restart therefore resumes where the last
process stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.app import App, Held, Job
from bot.events import Inbound, Platform
from bot.instance import Instance
from bot.outbox import Queued
from bot.replies import Reply
from bot.sink import (
    Answered,
    RawEvent,
    StoredEvent,
    Ticket,
    Translation,
    Translator,
    Unreadable,
)
from storage import inbox

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
RECOVER_SECONDS = 5.0
WORKERS = 16
GROUP_MAX = WORKERS  # jobs sharing one transaction (no more than can be in flight)
MAX_ATTEMPTS = 5


@dataclass
class _Chats:
    """One lock per chat with work in progress, dropped when nobody uses it any more."""

    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)

    @contextlib.asynccontextmanager
    async def turn(self, chat: str) -> AsyncIterator[None]:
        """Wait for ``chat``'s turn (first come, first served) and hold it."""
        lock = self.locks.setdefault(chat, asyncio.Lock())
        self.users[chat] = self.users.get(chat, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self.users[chat] -= 1
            if not self.users[chat]:
                del self.users[chat], self.locks[chat]


class Intake:
    """Stores, queues and runs platform events for one process (the adapters' sink)."""

    def __init__(
        self, app: App, *, instance: Instance | None = None, workers: int = WORKERS
    ) -> None:
        self._app = app
        self._instance = instance or Instance()
        self._workers = workers
        self._translators: dict[Platform, Translator] = {}
        self._queue: asyncio.Queue[int] | None = None
        self._jobs: asyncio.Queue[tuple[Job, asyncio.Future[list[Queued]]]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._queued: set[int] = set()  # rows queued or running here (never queued twice)
        self._chats = _Chats()
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def owner(self) -> str:
        """The name the events this process holds carry."""
        return self._instance.owner

    def register(self, translator: Translator) -> None:
        """Translate ``translator.platform``'s stored events with ``translator``."""
        self._translators[translator.platform] = translator

    async def start(self) -> None:
        """Start the workers: events accepted from now on run at once."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._queue = asyncio.Queue()
        self._jobs = asyncio.Queue()
        self._tasks = [asyncio.create_task(self._work()) for _ in range(self._workers)]
        self._tasks.append(asyncio.create_task(self._commit_together()))

    def resume(self) -> None:
        """Start the recovery loop, which first resumes what an earlier process left; call it once
        the adapters have started (stored events are translated by them)."""
        self._tasks.append(asyncio.create_task(self._recover_forever()))

    async def stop(self) -> None:
        """Stop the workers; events not yet run stay stored and are resumed by the next start."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def settle(self) -> None:
        """Wait until every event queued here so far has run (tests, graceful stops)."""
        await self._idle.wait()

    # --- the sink ------------------------------------------------------------------------------

    def accept(self, event: RawEvent) -> bool:
        """Store ``event`` and queue it; False for a redelivery. Thread-safe."""
        row_id = self._store(event)
        if row_id is None:
            return False
        self._schedule(row_id)
        return True

    def hold(self, event: RawEvent) -> Ticket | None:
        """Store ``event`` for the caller to ``answer``; None for a redelivery."""
        row_id = self._store(event)
        return None if row_id is None else Ticket(row_id)

    async def answer(
        self, message: Inbound, *, inline: Callable[[Reply], bool], ticket: Ticket | None = None
    ) -> Answered:
        """Run one message now; the replies ``inline`` takes are the adapter's to show."""
        held = None if ticket is None else Held(ticket.row_id, self.owner)
        return self._app.answer(message, inline=inline, held=held)

    async def deliver(self, later: Sequence[Queued]) -> None:
        """Send replies ``answer`` left for the outbox."""
        await self._app.outbox.deliver(later)

    async def handle(self, message: Inbound) -> Sequence[Queued]:
        """Run one message at once and deliver its replies (no acknowledgement to make first)."""
        return await self._app.handle(message)

    # --- storing and queueing -------------------------------------------------------------------

    def _store(self, event: RawEvent) -> int | None:
        now = self._app.clock.now()
        with self._app.engine.begin() as conn:
            row_id = inbox.accept(
                conn,
                event_key=event.key,
                platform=event.platform.value,
                kind=event.kind,
                chat=event.chat,
                payload=dict(event.payload),
                now=now,
                owner=self.owner,
                lease_until=now + LEASE,
            )
        if row_id is None:
            self._app.metrics.redelivered.labels(event.platform.value).inc()
            log.info("dropping redelivered event %s", event.key)
        else:
            self._app.metrics.inbound.labels(event.platform.value, event.kind).inc()
        return row_id

    def _schedule(self, row_id: int) -> None:
        """Queue a row for the workers, from the loop's thread or any other (an SDK's)."""
        if self._loop is None:
            raise RuntimeError("the intake received an event before start()")
        if threading.get_ident() == self._loop_thread:
            self._enqueue(row_id)
        else:
            self._loop.call_soon_threadsafe(self._enqueue, row_id)

    def _enqueue(self, row_id: int) -> None:
        if self._queue is None or row_id in self._queued:
            return
        self._queued.add(row_id)
        self._idle.clear()
        self._queue.put_nowait(row_id)

    # --- running --------------------------------------------------------------------------------

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            row_id = await self._queue.get()
            try:
                await self._run(row_id)
            except Exception:
                log.exception("running inbox event %s failed; it will be retried", row_id)
                with contextlib.suppress(Exception):  # recovery retries it after its lease anyway
                    self._release(row_id)
            finally:
                self._queued.discard(row_id)
                if not self._queued:
                    self._idle.set()

    async def _run(self, row_id: int) -> None:
        with self._app.engine.connect() as conn:
            row = inbox.pending(conn, row_id=row_id)
        if row is None:
            return  # run meanwhile by another process
        # The chat's turn is taken before anything slow, in the order events came off the queue,
        # so a quick event never overtakes a slow one of the same chat.
        async with self._chats.turn(row.chat):
            translator = self._translators.get(Platform(row.platform)) if row.platform else None
            if translator is None:
                self._set_aside(row_id, f"no adapter for {row.platform!r} in this process")
                return
            stored = StoredEvent(row.kind, row.payload, row.received_at)
            try:
                translation = await translator.translate(stored)
            except Unreadable as exc:
                self._set_aside(row_id, f"unreadable {row.kind} event: {exc}")
                return
            held = Held(row_id, self.owner)
            if translation is None:
                self._finish(held)
            else:
                await self._present(translation, held)

    async def _present(self, translation: Translation, held: Held) -> None:
        """Run the message, send or show its replies, then the adapter's follow-up."""
        # Replies the adapter shows itself are not leased: the rest go out through the outbox.
        claimed = translation.show is None
        queued = await self._together(Job(translation.message, held, claimed=claimed))
        if translation.show is not None:
            answered = self._app.shown_inline(queued, inline=lambda _reply: True)
            if answered.inline:
                await translation.show(answered.inline)
            await self._app.outbox.deliver(answered.later)
        else:
            await self._app.outbox.deliver(queued, claimed=True)
        if translation.after is not None:
            await translation.after()

    async def _together(self, job: Job) -> list[Queued]:
        """Run ``job`` in the next shared transaction (see ``_commit_together``)."""
        assert self._jobs is not None and self._loop is not None
        done: asyncio.Future[list[Queued]] = self._loop.create_future()
        self._jobs.put_nowait((job, done))
        return await done

    async def _commit_together(self) -> None:
        """Group commit: run every job ready now in one transaction, then wake their workers.

        While one transaction runs, the workers translating other events queue theirs, so under
        load each commit (and its share of the transaction's set-up) serves many messages; with
        one message at a time, each runs alone as soon as it is ready. A chat's events still run
        in order: a worker holds its chat's turn until its job is done."""
        assert self._jobs is not None
        while True:
            ready = [await self._jobs.get()]
            while len(ready) < GROUP_MAX and not self._jobs.empty():
                ready.append(self._jobs.get_nowait())
            try:
                stored = self._app.store_together([job for job, _ in ready])
            except Exception as exc:  # the commit failed: every job fails (and is retried)
                stored = [exc] * len(ready)
            for (_, done), result in zip(ready, stored, strict=True):
                if done.cancelled():
                    continue
                if isinstance(result, Exception):
                    done.set_exception(result)
                else:
                    done.set_result(result)

    def _finish(self, held: Held) -> None:
        """Mark an event that needs no run as done."""
        with self._app.engine.begin() as conn:
            inbox.finish(conn, row_id=held.row_id, owner=held.owner, now=self._app.clock.now())

    def _set_aside(self, row_id: int, why: str) -> None:
        log.warning("inbox event %s set aside: %s", row_id, why)
        with self._app.engine.begin() as conn:
            inbox.fail(conn, row_id=row_id, owner=self.owner, now=self._app.clock.now(), error=why)

    def _release(self, row_id: int) -> None:
        """After a failed run: retry it later (5 s, 10 s, 20 s …), or set it aside for good."""
        now = self._app.clock.now()
        with self._app.engine.begin() as conn:
            tried = inbox.attempts(conn, row_id=row_id)
            if tried >= MAX_ATTEMPTS:
                why = f"failed {tried} times"
                inbox.fail(conn, row_id=row_id, owner=self.owner, now=now, error=why)
                return
            retry_at = now + timedelta(seconds=5 * 2 ** (tried - 1))
            inbox.release(conn, row_id=row_id, owner=self.owner, retry_at=retry_at)

    # --- recovery -------------------------------------------------------------------------------

    async def _recover_forever(self) -> None:
        while True:
            try:
                self.recover()
            except Exception:
                log.exception("inbox recovery failed")
            await asyncio.sleep(RECOVER_SECONDS)

    def recover(self) -> int:
        """Renew this process's leases and queue the events nobody holds; returns how many."""
        now = self._app.clock.now()
        with self._app.engine.begin() as conn:
            inbox.renew(conn, owner=self.owner, lease_until=now + LEASE)
            gone = [o for o in inbox.holders(conn, now=now) if self._instance.is_gone(o)]
            claimed = inbox.claim(
                conn, owner=self.owner, now=now, lease_until=now + LEASE, gone=gone, limit=200
            )
        for row_id in claimed:
            self._enqueue(row_id)
        return len(claimed)
