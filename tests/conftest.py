"""Shared fixtures: a real SQLite file per test, a frozen clock, and a console-driven Baton."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters.console import ConsoleAdapter
from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.events import Inbound
from bot.memo import Memo
from bot.wiring import build_app
from commands.faq.semantic import Encoder
from tests.fakes.processes import Baton

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session", autouse=True)
def _subprocesses_run_this_code() -> Iterator[None]:
    """``baton`` run in a subprocess imports the code under test, not another installed copy."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
        yield


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """The sentence encoder, loaded once per test session (a few seconds) and shared."""
    return Encoder()


@pytest.fixture
def memo(encoder: Encoder) -> Memo:
    """A fresh per-process memo holding the session's encoder, as a running Baton's would."""
    fresh = Memo()
    fresh.get("faq.encoder", True, lambda: encoder)
    return fresh


@pytest.fixture
def clock() -> FrozenClock:
    """A clock frozen at Tuesday 2026-11-24 09:00 UTC."""
    return FrozenClock(START)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite file; or, when ``BATON_TEST_POSTGRES`` names a PostgreSQL server
    (``postgresql+psycopg://user:pw@127.0.0.1/postgres``), a fresh database on it."""
    admin_url = os.environ.get("BATON_TEST_POSTGRES")
    if not admin_url:
        yield f"sqlite:///{tmp_path / 'baton.db'}"
        return
    name = f"baton_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings on a fresh database, isolated from the developer's environment and .env."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        admins_csv="boss",
        timezone="UTC",
    )


@pytest.fixture
def app(settings: Settings, clock: FrozenClock, memo: Memo) -> Iterator[App]:
    """A migrated Baton on its own database file (sharing the session's sentence encoder)."""
    baton = build_app(settings, clock=clock)
    baton.memo = memo
    yield baton
    baton.engine.dispose()


class Chat:
    """Drives Baton through the console adapter like a person typing, and collects what it prints."""

    def __init__(self, app: App, clock: FrozenClock) -> None:
        self.app = app
        self.clock = clock
        self.out = io.StringIO()
        self.console = ConsoleAdapter(
            clock, user="alice", channel="ops", stdout=self.out, on_clock=app.run_ticks
        )
        app.outbox.register(self.console.platform, self.console)

    async def say(self, line: str, *, user: str = "alice", channel: str = "ops") -> str:
        """Send ``line`` as ``user`` in ``channel`` and return everything Baton printed for it."""
        self.console.user = user
        self.console.channel = channel
        self.console.dm = False
        self.console.thread = None
        return await self.send(self.console.to_inbound(line))

    async def type(self, line: str) -> str:
        """Type ``line`` at the console as whoever is typing there now (console commands such as
        ``/as bob dm`` or ``/time`` included); return everything printed for it."""
        start = self.out.seek(0, io.SEEK_END)
        await self.console.handle_line(line, self.app)
        return self._printed_since(start)

    async def send(self, inbound: Inbound) -> str:
        """Hand Baton an event a test built (a button press, a DM, an overheard message) with its
        sender at the console; return everything Baton printed for it."""
        self.console.user = inbound.actor.user_id
        if inbound.source.channel:
            self.console.channel = inbound.source.channel
        start = self.out.seek(0, io.SEEK_END)
        await self.app.handle(inbound)
        return self._printed_since(start)

    async def tick(self) -> str:
        """Run the scheduled work once and return what it printed."""
        start = self.out.seek(0, io.SEEK_END)
        await self.app.run_ticks()
        return self._printed_since(start)

    def _printed_since(self, start: int) -> str:
        self.out.seek(start)
        printed = self.out.read()
        self.out.seek(0, io.SEEK_END)
        return printed


@pytest.fixture
def chat(app: App, clock: FrozenClock) -> Chat:
    """A console conversation with Baton."""
    return Chat(app, clock)


@pytest.fixture
def baton() -> Iterator[list[Baton]]:
    """``baton run`` processes a test starts; each is stopped afterwards (if still running)."""
    started: list[Baton] = []
    yield started
    for process in started:
        process.stop()
