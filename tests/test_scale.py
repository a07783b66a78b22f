"""Several ``baton run`` processes on one PostgreSQL database, as a load balancer would spread a team
over them: nothing doubled, nothing lost when one dies, each chat's rate kept across processes, and
``/readyz`` telling the truth about the database. PostgreSQL pass only (the SQLite file is one
process's)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os

import aiohttp
import pytest
import sqlalchemy as sa

from tests.fakes import slack as sl
from tests.fakes.processes import (
    Baton,
    seed_due_tasks,
    send_task_commands,
    slack_env,
    titles,
    until,
    wait_listening,
)

pytestmark = pytest.mark.skipif(
    not os.environ.get("BATON_TEST_POSTGRES"), reason="several processes share PostgreSQL"
)
LATENCY = 0.1
SLACK_BURST, SLACK_GAP = 3, 1.0  # what the Slack adapter declares
# A process takes a chat's turn, then may be descheduled before its request reaches the platform
# (three processes and the test share two cores): arrivals may bunch by up to this much.
SCHEDULING = 1.0


async def start_three(
    database_url: str, platform: sl.FakeSlack, baton: list[Baton], session: aiohttp.ClientSession
) -> list[int]:
    ports = [sl.free_port() for _ in range(3)]
    for port in ports:
        process = Baton({**slack_env(database_url, platform, port), "BATON_TICK_SECONDS": "1"})
        baton.append(process)
        process.start()
    for port, process in zip(ports, baton[-3:], strict=True):
        await wait_listening(session, port, process)
    return ports


def paced(posts: list[tuple[float, str]]) -> bool:
    """No channel got more than a burst plus one message a gap in any stretch of time (with the
    fake's own latency and the senders' scheduling delay as tolerance). Three processes pacing
    each on its own would send up to three times that."""
    by_channel: dict[str, list[float]] = collections.defaultdict(list)
    for at, channel in posts:
        by_channel[channel].append(at)
    for times in by_channel.values():
        times.sort()
        for i in range(len(times)):
            for j in range(i + SLACK_BURST, len(times)):
                allowed = (
                    SLACK_BURST + (times[j] - times[i] + LATENCY * 2 + SCHEDULING) / SLACK_GAP
                )
                if j - i + 1 > allowed:
                    return False
    return True


async def test_three_processes_share_the_work_and_survive_losing_one(
    database_url: str, baton: list[Baton]
) -> None:
    platform = sl.FakeSlack(users={f"U{i}": sl.user(f"U{i}", f"P{i}") for i in range(10)})
    platform.start()
    platform.latency = LATENCY
    acked: set[int] = set()
    async with aiohttp.ClientSession() as session:
        ports = await start_three(database_url, platform, baton, session)
        burst = asyncio.ensure_future(
            send_task_commands(session, ports, 600, channels=60, acked=acked)
        )
        await until(lambda: len(acked) >= 300, "half the burst", 60)
        baton[0].kill()  # one of three dies mid-burst; the other two carry on
        await burst

        def replies() -> list[str]:
            return [c.args.get("text", "") for c in platform.made("chat.postMessage")]

        def finished() -> bool:
            done, texts = titles(database_url), "\n".join(replies())
            return all(done[f"crash-{n:03d}"] and f"crash-{n:03d}" in texts for n in acked)

        await until(finished, "every acknowledged command to be answered", 120)
        await asyncio.sleep(2 * LATENCY)
    tasks = titles(database_url)  # unique task numbers are checked in there
    replied = collections.Counter(
        n for text in replies() for n in range(600) if f"crash-{n:03d}" in text
    )
    assert len(acked) >= 400  # the two survivors took every command sent to them
    assert all(tasks[f"crash-{n:03d}"] == 1 and replied[n] == 1 for n in acked)
    assert max(tasks.values()) == 1 and max(replied.values()) == 1
    posts = [(float(m["ts"]), channel) for channel, ms in platform.posted.items() for m in ms]
    assert paced(posts)


async def test_due_reminders_are_sent_once_by_three_ticking_processes(
    database_url: str, baton: list[Baton]
) -> None:
    seed_due_tasks(database_url, 1000)
    platform = sl.FakeSlack()
    platform.start()
    platform.latency = LATENCY
    async with aiohttp.ClientSession() as session:
        await start_three(database_url, platform, baton, session)

        def sent() -> collections.Counter[int]:
            texts = [c.args.get("text", "") for c in platform.made("chat.postMessage")]
            return collections.Counter(
                n for text in texts for n in range(1000) if f"crash-{n:03d}" in text
            )

        await until(lambda: len(sent()) >= 1000, "every reminder", 120)
        await asyncio.sleep(3)  # three more ticks of every process: nothing else goes out
    assert sorted(sent()) == list(range(1000)) and max(sent().values()) == 1


async def test_readyz_follows_the_database(database_url: str, baton: list[Baton]) -> None:
    platform = sl.FakeSlack()
    platform.start()
    port = sl.free_port()
    process = Baton(slack_env(database_url, platform, port))
    baton.append(process)
    process.start()
    name = database_url.rsplit("/", 1)[1]
    admin = sa.create_engine(os.environ["BATON_TEST_POSTGRES"], isolation_level="AUTOCOMMIT")
    url = f"http://127.0.0.1:{port}/readyz"
    async with aiohttp.ClientSession() as session:

        async def ready(expected: int) -> bool:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(url) as resp:
                    return resp.status == expected
            return False

        await until(lambda: ready(200), "ready", 60)
        with admin.connect() as conn:  # the database goes away for Baton
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            conn.exec_driver_sql(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            )
        await until(lambda: ready(503), "503 while the database is gone", 30)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await until(lambda: ready(200), "200 once it is back", 30)
    admin.dispose()
