"""Throughput and latency of the task commands of ``bench/commands.py`` on the opsdroid framework.

The yardstick for Baton's figures: the open-source bot framework opsdroid, measured at 0.31.0, in
a virtualenv of its own (``pip install 'opsdroid[database-sqlite]==0.31.0' 'setuptools<81'``: it
imports ``pkg_resources``), handling the same messages one at a time, each awaited through
``OpsDroid.parse``: regex ranking of the skills, the skill's reads and writes through
``opsdroid.memory`` on opsdroid's SQLite database module (a real file), and the reply through
``Message.respond`` to a connector that drops it. ``parse`` gathers the tasks it creates, so each
message's skill has finished before the next message is sent.

opsdroid's memory is a key-value store of JSON documents, so the tasks are laid out as:

- ``task:<n>``: one task (number, channel, title, column, owners, tags, due date, history);
- ``tasks:open:<channel>``: the channel's open tasks as ``[due, number]`` pairs, most urgent
  first, so a list reads one page of tasks, not the whole channel;
- ``tasks:last``: the last task number given out.

The existing tasks are seeded through ``memory.put`` in 20 channels, as Baton's benchmark seeds
them, before the clock starts. The file is put in WAL mode with ``synchronous=NORMAL``, Baton's own
settings, which opsdroid's configuration cannot express (its default is a rollback journal, fully
synced). ``--skill lightest`` swaps the task skill for the least a skill on opsdroid's memory can
do (read one value, write it back, reply), the framework's floor on this machine. Prints one JSON
line.

    python bench/opsdroid_tasks.py [--messages 5000] [--existing 10000] [--skill tasks|lightest]
"""

# opsdroid is untyped and absent from Baton's virtualenv, where mypy runs: its imports are ignored,
# and so are the subclassing and decorating of what they give.
# mypy: allow-subclassing-any, allow-untyped-decorators

from __future__ import annotations

import argparse
import bisect
import gettext
import importlib.metadata
import json
import os
import resource
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from opsdroid.connector import Connector, register_event  # type: ignore[import-not-found]
from opsdroid.core import OpsDroid  # type: ignore[import-not-found]
from opsdroid.database import sqlite as sqlite_database  # type: ignore[import-not-found]
from opsdroid.events import Message  # type: ignore[import-not-found]
from opsdroid.matchers import match_regex  # type: ignore[import-not-found]
from opsdroid.skill import Skill  # type: ignore[import-not-found]
from workload import per_message, script  # bench/, this script's folder

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Baton's benchmark clock, so due dates interleave
COLUMNS = ("todo", "doing", "done")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LIST_LIMIT = 20
CHANNEL = "ch1"
LAST = "tasks:last"


def peak_rss_mb() -> float:
    """This process's peak resident memory. ``getrusage`` would also count the parent's when run
    from ``bench/commands.py`` (a forked child keeps the parent's peak across ``exec``); the
    kernel's high-water mark of this address space does not."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def task_key(number: int) -> str:
    """The memory key of one task."""
    return f"task:{number}"


def open_key(channel: str) -> str:
    """The memory key of a channel's open-tasks index."""
    return f"tasks:open:{channel}"


def urgency(entry: list[Any]) -> tuple[bool, str, int]:
    """Baton's order of open tasks: dated ones first, soonest first, then by number."""
    return entry[0] is None, entry[0] or "", entry[1]


def due_on(word: str) -> str | None:
    """``fri`` as the coming Friday at 17:00, ISO-formatted; None for any other word."""
    if word.lower() not in WEEKDAYS:
        return None
    ahead = (WEEKDAYS.index(word.lower()) - NOW.weekday()) % 7 or 7
    return (NOW + timedelta(days=ahead)).replace(hour=17, minute=0).isoformat()


def line(task: dict[str, Any]) -> str:
    """One task as a line of a list."""
    due = f" · due {task['due'][:10]}" if task["due"] else ""
    return f"#{task['number']} {task['title']} · {task['column']}{due}"


class TaskSkill(Skill):
    """``task add|list|move|show`` on opsdroid's memory, replying in plain text."""

    @match_regex(r"task add (?P<rest>.+)", case_sensitive=False, matching_condition="fullmatch")
    async def add(self, message: Any) -> None:
        """Create a task from its words: ``@owner``, ``due:<weekday>``, ``#tag``, the title."""
        words = message.regex["rest"].split()
        owners = [w[1:] for w in words if w.startswith("@") and len(w) > 1]
        tags = [w[1:].lower() for w in words if w.startswith("#") and len(w) > 1]
        dues = [w[4:] for w in words if w.lower().startswith("due:")]
        title = " ".join(w for w in words if w[0] not in "@#" and not w.lower().startswith("due:"))
        due = due_on(dues[-1]) if dues else None
        if dues and due is None:
            await message.respond(f"Unknown due date: {dues[-1]}")
            return
        memory = self.opsdroid.memory
        number = await memory.get(LAST, 0) + 1
        await memory.put(LAST, number)
        now = datetime.now(UTC).isoformat()
        task = {
            "number": number,
            "channel": message.target,
            "title": title,
            "column": COLUMNS[0],
            "owners": owners,
            "tags": tags,
            "creator": message.user_id,
            "due": due,
            "created": now,
            "updated": now,
            "history": [[now, message.user_id, "created"]],
        }
        await memory.put(task_key(number), task)
        index = await memory.get(open_key(message.target), [])
        bisect.insort(index, [due, number], key=urgency)
        await memory.put(open_key(message.target), index)
        await message.respond(f"Added {line(task)}")

    @match_regex(r"task list", case_sensitive=False, matching_condition="fullmatch")
    async def list_tasks(self, message: Any) -> None:
        """The first page of this channel's open tasks, most urgent first, with their count."""
        memory = self.opsdroid.memory
        index = await memory.get(open_key(message.target), [])
        if not index:
            await message.respond("No open tasks here.")
            return
        lines = [f"Open tasks here ({len(index)}):"]
        for _, number in index[:LIST_LIMIT]:
            lines.append(line(await memory.get(task_key(number))))
        await message.respond("\n".join(lines))

    @match_regex(
        r"task move (?P<number>\d+) (?P<column>\w+)(?: --force)?",
        case_sensitive=False,
        matching_condition="fullmatch",
    )
    async def move(self, message: Any) -> None:
        """Move a task to another column; into ``done``, it leaves the open-tasks index.
        ``--force`` is taken and needs nothing: no column here has a work-in-progress limit."""
        number, column = int(message.regex["number"]), message.regex["column"].lower()
        if column not in COLUMNS:
            await message.respond(f"No column {column}; the columns are {', '.join(COLUMNS)}.")
            return
        memory = self.opsdroid.memory
        task = await memory.get(task_key(number))
        if task is None:
            await message.respond(f"No task #{number}.")
            return
        now = datetime.now(UTC).isoformat()
        task["history"].append([now, message.user_id, f"moved {task['column']} → {column}"])
        task["column"], task["updated"] = column, now
        await memory.put(task_key(number), task)
        if column == "done":
            index = await memory.get(open_key(task["channel"]), [])
            index.remove([task["due"], number])
            await memory.put(open_key(task["channel"]), index)
        await message.respond(f"Moved {line(task)}")

    @match_regex(
        r"task show (?P<number>\d+)", case_sensitive=False, matching_condition="fullmatch"
    )
    async def show(self, message: Any) -> None:
        """One task with its owners, tags and history."""
        number = int(message.regex["number"])
        task = await self.opsdroid.memory.get(task_key(number))
        if task is None:
            await message.respond(f"No task #{number}.")
            return
        owners = " ".join(f"@{o}" for o in task["owners"]) or "-"
        tags = " ".join(f"#{t}" for t in task["tags"]) or "-"
        history = [f"{at[:16]} {who} {what}" for at, who, what in task["history"]]
        await message.respond(
            "\n".join([line(task), f"Owners: {owners}", f"Tags: {tags}", *history])
        )


class LightestSkill(Skill):
    """The floor of an opsdroid skill on its memory: any ``task …`` message reads one value,
    writes it back changed and replies (``--skill lightest``; no task is kept)."""

    @match_regex(r"task .+", case_sensitive=False, matching_condition="fullmatch")
    async def count(self, message: Any) -> None:
        """Count the message in memory and say so."""
        seen = await self.opsdroid.memory.get(LAST, 0) + 1
        await self.opsdroid.memory.put(LAST, seen)
        await message.respond(f"Message {seen}: {message.text}")


SKILLS = {"tasks": TaskSkill, "lightest": LightestSkill}


class NullConnector(Connector):
    """A chat service that accepts every reply instantly, so the figure is opsdroid's own cost;
    it counts them, to check that every message got exactly one."""

    def __init__(self, config: dict[str, Any], opsdroid: Any = None) -> None:
        """Name it and start counting."""
        super().__init__(config, opsdroid=opsdroid)
        self.name = "null"
        self.sent = 0

    @register_event(Message)
    async def send_message(self, message: Any) -> None:
        """Drop the reply."""
        self.sent += 1


def use_batons_journal(path: Path) -> None:
    """WAL mode, which is stored in the file, before opsdroid opens it."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.close()


def module_of(member: type) -> ModuleType:
    """A module holding only ``member``, as opsdroid's loader hands over a skill's or a
    connector's module. Not this file's own: opsdroid registers every name in a module that has a
    ``skill`` attribute, and so would take the ``opsdroid`` package itself for a skill."""
    module = ModuleType(member.__name__)
    setattr(module, member.__name__, member)
    return module


async def load(droid: Any, path: Path, skill: type) -> NullConnector:
    """What ``OpsDroid.load`` and ``start_databases`` do once the loader has imported the modules
    (the loader itself installs modules into the user's data folders): the skill, the connector
    and opsdroid's SQLite module, connected. Returns the connector."""
    droid.setup_skills([{"module": module_of(skill), "config": {"name": "tasks"}}])
    await droid.setup_databases([{"module": sqlite_database, "config": {"path": str(path)}}])
    await droid.setup_connectors(
        [{"module": module_of(NullConnector), "config": {"name": "null"}}]
    )
    await droid.start_databases()
    # Baton's per-connection setting; opsdroid's connection is otherwise fully synced.
    await droid.get_database("sqlite").client.execute("PRAGMA synchronous=NORMAL")
    connector: NullConnector = droid.connectors[0]
    return connector


async def seed(droid: Any, existing: int) -> None:
    """Store ``existing`` tasks in 20 channels, each in the index of its channel."""
    memory = droid.memory
    indexes: dict[str, list[list[Any]]] = {}
    for n in range(1, existing + 1):
        channel = f"ch{n % 20}"
        due = (NOW + timedelta(days=n % 30)).isoformat()
        task = {
            "number": n,
            "channel": channel,
            "title": f"Seeded task {n}",
            "column": COLUMNS[n % 3],
            "owners": [],
            "tags": [],
            "creator": "seed",
            "due": due,
            "created": NOW.isoformat(),
            "updated": NOW.isoformat(),
            "history": [],
        }
        await memory.put(task_key(n), task)
        indexes.setdefault(channel, []).append([due, n])
    for channel, index in indexes.items():
        await memory.put(open_key(channel), sorted(index, key=urgency))
    await memory.put(LAST, existing)


async def run(droid: Any, messages: int, existing: int, skill: str) -> dict[str, Any]:
    """Time ``messages`` commands on opsdroid; returns the figures. The database is closed
    whatever happens, as its worker thread would otherwise keep the process alive."""
    started = time.perf_counter()
    path = Path(tempfile.mkdtemp(prefix="opsdroid-bench-")) / "bench.db"
    use_batons_journal(path)
    connector = await load(droid, path, SKILLS[skill])
    startup = time.perf_counter() - started
    try:
        await seed(droid, existing)
        latencies, wall, cpu = await timed(droid, connector, messages, existing, skill)
    finally:
        await droid.get_database("sqlite").disconnect()
    return {
        "framework": "opsdroid",
        "version": importlib.metadata.version("opsdroid"),
        "skill": skill,
        "messages": messages,
        "existing_tasks": existing,
        **per_message(messages, wall, cpu, latencies),
        "peak_rss_mb": peak_rss_mb(),
        "startup_s": round(startup, 3),
    }


async def timed(
    droid: Any, connector: NullConnector, messages: int, existing: int, skill: str
) -> tuple[list[float], float, float]:
    """Send the messages one at a time; returns the sorted latencies, the wall and the CPU time."""
    latencies: list[float] = []
    cpu_start = time.process_time()
    wall_start = time.perf_counter()
    for i in range(messages):
        message = Message(
            script(i, existing + 1),
            user="alice",
            user_id="alice",
            target=CHANNEL,
            connector=connector,
        )
        t0 = time.perf_counter()
        await droid.parse(message)
        latencies.append(time.perf_counter() - t0)
    wall = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    # A failing skill still replies (opsdroid's apology, two messages), so check the outcome too.
    added = (messages + 3) // 4 if skill == "tasks" else messages
    if connector.sent != messages or await droid.memory.get(LAST) != existing + added:
        raise RuntimeError(f"{connector.sent} replies to {messages} messages: a skill failed")
    return sorted(latencies), wall, cpu


def main() -> None:
    """Parse arguments, run opsdroid on its own event loop as ``opsdroid start`` does, print one
    JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--existing", type=int, default=10_000)
    parser.add_argument("--skill", choices=sorted(SKILLS), default="tasks")
    args = parser.parse_args()
    gettext.install("opsdroid")  # opsdroid's modules call the ``_`` that its CLI installs
    with OpsDroid(config={}) as droid:
        figures = droid.eventloop.run_until_complete(
            run(droid, args.messages, args.existing, args.skill)
        )
    figures["load_average"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
