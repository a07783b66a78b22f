"""The pipeline one Baton process runs: an inbound message in, replies stored and delivered.

``App.process`` is the whole of Baton's work for one inbound message, in one database transaction:
mark the stored event done (or, for a message handled at once, drop a redelivery), note who the
sender is, route, run the handler inside a savepoint (so a failing handler leaves nothing
half-written), and store every reply in the outbox. ``App.handle`` then delivers. The durable intake
in front of it (``bot.intake``) is what adapters are handed; ``bot.wiring.build_app`` builds both.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import sqlalchemy as sa

from bot.clock import Clock
from bot.config import Settings
from bot.context import Ctx, Refusal, TickCtx
from bot.dispatch import dispatch
from bot.events import Inbound, Target
from bot.feature import Tick
from bot.i18n import Translator
from bot.memo import Memo
from bot.metrics import Metrics
from bot.outbox import Outbox, Queued
from bot.people import People, choose_locale, language_shown, zone
from bot.places import Places
from bot.replies import Origin, Reply
from bot.routing import Matcher, normalise
from bot.signals import Signals
from bot.sink import Answered
from storage import db, inbox
from storage import outbox as outbox_rows
from storage.prepared import savepoint

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Held:
    """A stored event this process holds: it is marked done with the work it causes, or not at
    all (another process took it over)."""

    row_id: int
    owner: str


@dataclass(frozen=True, slots=True)
class Job:
    """One message to store: the stored event it finishes (None: handled at once, de-duplicated
    by its id) and whether its replies are leased to this process, to be sent right after."""

    message: Inbound
    held: Held | None = None
    claimed: bool = True


@dataclass
class App:
    """Everything one Baton process runs with."""

    settings: Settings
    engine: sa.Engine
    clock: Clock
    translator: Translator
    matcher: Matcher
    outbox: Outbox
    ticks: Sequence[Tick] = ()
    people: People = field(default_factory=People)
    places: Places = field(default_factory=Places)
    memo: Memo = field(default_factory=Memo)
    metrics: Metrics = field(default_factory=Metrics)
    signals: Signals = field(default_factory=Signals)

    async def handle(self, message: Inbound, *, held: Held | None = None) -> list[Queued]:
        """Process one inbound message and deliver its replies at once."""
        queued = self._store(Job(message, held, claimed=True))
        await self.outbox.deliver(queued, claimed=True)
        return queued

    def process(self, message: Inbound, *, held: Held | None = None) -> list[Queued]:
        """Route one message and store its replies in the outbox; nothing is sent yet."""
        return self._store(Job(message, held, claimed=False))

    def answer(
        self, message: Inbound, *, inline: Callable[[Reply], bool], held: Held | None = None
    ) -> Answered:
        """Process one message for an adapter that shows some replies in its own response; those
        ``inline`` accepts are recorded as delivered (with their ``edit_ref`` as the message id)."""
        return self.shown_inline(self.process(message, held=held), inline=inline)

    def shown_inline(
        self, queued: Sequence[Queued], *, inline: Callable[[Reply], bool]
    ) -> Answered:
        """Split a message's stored (unclaimed) replies: those ``inline`` accepts are recorded as
        delivered by the adapter's own response, the rest are left for the outbox."""
        shown: list[Reply] = []
        later: list[Queued] = []
        for item in queued:
            if inline(item.reply) and self.outbox.complete(item.id, item.reply.edit_ref):
                shown.append(item.reply)
            else:
                later.append(item)
        return Answered(tuple(shown), tuple(later))

    def _store(self, job: Job) -> list[Queued]:
        """Store one message in a transaction of its own, run once more if it lost a race with
        another transaction (a deadlock, SQLite busy): nothing of the first try was kept."""
        try:
            [stored] = self.store_together([job])
        except Exception as exc:
            if not db.lost_a_race(exc):
                raise
            [stored] = self.store_together([job])
        assert not isinstance(stored, Exception)  # alone, a failure raises
        return stored

    def store_together(self, jobs: Sequence[Job]) -> list[list[Queued] | Exception]:
        """Route messages and store their replies in one transaction, so its commit is shared
        (under load the intake hands over every message ready to run). Each of several runs in a
        savepoint of its own: one that fails, in the database or in Baton, is undone alone and
        its exception takes its place in the answer. If the commit itself fails, this raises and
        nothing of any of them is kept. Claimed jobs' replies are leased to this process (the
        caller sends them right after the commit: one transaction fewer per reply)."""
        marks = self.outbox.take_marks()
        stored: list[list[Queued] | Exception] = []
        try:
            with self.engine.begin() as conn:
                outbox_rows.mark_sent(conn, marks=marks)  # earlier replies, in this commit
                if len(jobs) == 1:  # alone: a failure undoes the whole transaction
                    stored.append(self._store_one(conn, jobs[0]))
                else:
                    stored.extend(self._store_each(conn, jobs))
        except Exception:
            self.outbox.keep_marks(marks)
            self._forget_settings()
            raise
        if len(jobs) == 1:
            return stored
        # A transaction holding several messages' locks collides with other processes' more
        # often; a message that lost such a race runs again at once, alone.
        return [
            self._alone(job)
            if isinstance(result, Exception) and db.lost_a_race(result)
            else result
            for job, result in zip(jobs, stored, strict=True)
        ]

    def _alone(self, job: Job) -> list[Queued] | Exception:
        """``job`` stored again in a transaction of its own; what failed, if it did."""
        try:
            return self._store(job)
        except Exception as exc:
            return exc

    def _store_each(
        self, conn: sa.Connection, jobs: Sequence[Job]
    ) -> list[list[Queued] | Exception]:
        stored: list[list[Queued] | Exception] = []
        for job in jobs:
            try:
                with savepoint(conn, "message"):
                    stored.append(self._store_one(conn, job))
            except Exception as exc:
                self._forget_settings()
                stored.append(exc)
        return stored

    def _store_one(self, conn: sa.Connection, job: Job) -> list[Queued]:
        with self.metrics.handler_seconds.time():
            message = job.message
            if not self._first_time(conn, message, job.held):
                return []
            replies = [_answering(message, reply) for reply in self._run(conn, message)]
            return [
                queued
                for reply in replies
                if (
                    queued := self.outbox.enqueue(
                        conn, _target(message, reply), reply, claimed=job.claimed
                    )
                )
            ]

    def _forget_settings(self) -> None:
        """After an undone write: settings cached from it may never have been stored."""
        self.people.forget()
        self.places.forget()

    def _first_time(self, conn: sa.Connection, message: Inbound, held: Held | None) -> bool:
        """Claim the right to run ``message`` in this transaction: finish the stored event this
        process holds, or record the id of a message handled at once; False when it ran already
        (a redelivery) or another process has taken the stored event over."""
        now = self.clock.now()
        platform = message.source.platform.value
        if held is not None:
            if inbox.finish(conn, row_id=held.row_id, owner=held.owner, now=now):
                return True
            log.info("event %s/%s was taken over by another process", platform, held.row_id)
            return False
        if inbox.remember(
            conn, event_key=f"{platform}:{message.event_id}", platform=platform, now=now
        ):
            return True
        log.info("dropping redelivered event %s:%s", platform, message.event_id)
        return False

    def _run(self, conn: sa.Connection, message: Inbound) -> list[Reply]:
        text = normalise(message.text)
        match = None
        if message.action is None and message.is_direct:
            match = self.matcher.match(text)
        wrote = language_shown(
            text, args=match.args if match else None, spoken=match.locale if match else None
        )
        prefs = self.people.observe(conn, message.actor, self.clock.now(), wrote=wrote)
        self.places.note(conn, message, self.clock.now())
        locale = choose_locale(
            prefs,
            spoken=match.locale if match else None,
            text=text,
            default=self.settings.language,
        )
        ctx = Ctx(
            inbound=message,
            conn=conn,
            now=self.clock.now(),
            locale=locale,
            tz=zone(prefs.tz or prefs.profile_tz, self.settings.timezone),
            settings=self.settings,
            translator=self.translator,
            people=self.people,
            commands=self.matcher.usages,
            memo=self.memo,
            signals=self.signals,
            metrics=self.metrics,
        )
        try:
            with savepoint(conn):
                return [*dispatch(ctx, self.matcher, match, text), *ctx.followups]
        except Refusal as refusal:
            return [Reply(ctx.t(refusal.key, **refusal.values), ephemeral=True)]
        except Exception as exc:
            if db.lost_a_race(exc):
                raise  # not the person's problem, nor a bug: the message is run again
            ref = uuid.uuid4().hex[:8]
            log.exception("handler failed (ref %s) for event %s", ref, message.event_id)
            return [Reply(ctx.t("error.internal", ref=ref), ephemeral=True)]

    def tick_ctx(self) -> TickCtx:
        """The context scheduled work runs with, at the clock's current time."""
        return TickCtx(
            engine=self.engine,
            now=self.clock.now(),
            settings=self.settings,
            translator=self.translator,
            people=self.people,
            outbox=self.outbox,
            memo=self.memo,
            signals=self.signals,
        )

    async def checkpoint(self) -> None:
        """Fold the database's write-ahead log into it, in a worker thread (see
        ``storage.db.checkpoint``): the loop goes on answering people meanwhile."""
        try:
            await asyncio.to_thread(db.checkpoint, self.engine)
        except Exception:  # a busy or locked database: the next second tries again
            log.warning("database checkpoint failed", exc_info=True)

    async def run_ticks(self) -> None:
        """Run the periodic work (the core's upkeep and every feature's) once, then send what is due.

        Each tick runs in a worker thread with its own connections, so a long one (a reminder
        sweep over a million tasks, rebuilding a large FAQ index) never stalls the event loop that
        answers people; ticks claim their rows in the database, so overlapping a message is safe.
        """
        ctx = self.tick_ctx()
        for tick in self.ticks:
            try:
                with self.metrics.tick_seconds.labels(tick.name).time():
                    await asyncio.to_thread(tick.run, ctx)
            except Exception:
                log.exception("tick %s failed", tick.name)
        await self.outbox.drain()


def _answering(message: Inbound, reply: Reply) -> Reply:
    """A reply to ``message`` knows whom it answers (replies sent elsewhere are left as they are)."""
    if reply.to is not None:
        return reply
    origin = Origin(message.actor.user_id, message.reply_url, message.received_at)
    return replace(reply, origin=origin)


def _target(message: Inbound, reply: Reply) -> Target:
    if reply.to is not None:
        return reply.to
    if reply.ephemeral and not message.source.is_direct:
        return message.source.only_for(message.actor.user_id)
    return message.source
