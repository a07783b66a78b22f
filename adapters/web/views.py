"""What the dashboard's pages show, read from storage for one viewer: their boards, a board with
its filters, and one task in full. Plain values for the templates, which escape everything.

Each function is given a channel the viewer may open (the adapter checks first); a task is shown
only on the board of its own channel.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import sqlalchemy as sa

from adapters.web.viewer import Helpers, Viewer
from bot import mentions
from bot.events import Target
from bot.i18n import Translator
from bot.places import openable
from storage import board, tasks, users
from storage.board import BoardFilter, CardRow
from storage.tasks import HistoryLine

_PRIORITY = {1: "web.priority_high", -1: "web.priority_low"}


@dataclass(frozen=True, slots=True)
class Filters:
    """The board's filters as the page's address says them."""

    mine: bool = False
    overdue: bool = False
    owner: str = ""
    tag: str = ""

    @classmethod
    def read(cls, query: Mapping[str, str]) -> Filters:
        """Filters from query parameters (unknown or oversized values are ignored)."""
        owner = query.get("owner", "")[:128]
        tag = query.get("tag", "").lstrip("#").lower()[:60]
        return cls(query.get("mine") == "1", query.get("overdue") == "1", owner, tag)

    def query(self) -> str:
        """These filters as a query string (empty values left out)."""
        pairs = {"mine": "1" if self.mine else "", "overdue": "1" if self.overdue else ""}
        pairs |= {"owner": self.owner, "tag": self.tag}
        return urlencode({k: v for k, v in pairs.items() if v})

    def storage(self, viewer: Viewer, now: datetime) -> BoardFilter:
        """The storage filter for ``viewer`` (mine wins over a named owner)."""
        owner = viewer.user_id if self.mine else (self.owner or None)
        return BoardFilter(owner, self.tag or None, now if self.overdue else None)


@dataclass(frozen=True, slots=True)
class Card:
    """One card as shown."""

    number: int
    title: str
    owners: list[str]
    due: str
    overdue: bool
    priority: str
    priority_level: int
    tags: tuple[str, ...]
    checks: str


@dataclass(frozen=True, slots=True)
class Column:
    """One column as shown: its name, WIP usage and cards."""

    name: str
    count: int
    limit: int | None
    full: bool
    done: bool
    cards: list[Card]
    more: int


@dataclass(frozen=True, slots=True)
class Place:
    """A board the viewer may open, as listed on their home page."""

    channel: str
    label: str
    open_tasks: int


@dataclass(frozen=True, slots=True)
class BoardPage:
    """A channel's board for one viewer: columns, and the choices of its filters."""

    channel: str
    label: str
    columns: list[Column]
    owners: list[tuple[str, str]]
    tags: list[str]
    filters: Filters
    query: str = ""  # this board with its filters, as a query string
    task_link: str = ""  # the address of a task on this board, but for its number

    @classmethod
    def of(
        cls,
        channel: str,
        label: str,
        columns: list[Column],
        owners: list[tuple[str, str]],
        tags: list[str],
        filters: Filters,
    ) -> BoardPage:
        """A board page, with its addresses worked out once (not once per card)."""
        here = urlencode({"c": channel})
        extra = filters.query()
        query = f"{here}&{extra}" if extra else here
        return cls(channel, label, columns, owners, tags, filters, query, f"/web/task?{here}&n=")


def label(channel: str, viewer: Viewer, t: Callable[..., str]) -> str:
    """How a channel is named on the page: its id on the platform, or whose direct messages
    with Baton it is (admins see everyone's)."""
    target = Target.parse(channel)
    if not target.is_direct:
        return f"#{target.channel}"
    if target.user == viewer.user_id:
        return t("web.direct")
    return t("web.direct_of", user=target.user)


def places(conn: sa.Connection, viewer: Viewer, t: Callable[..., str]) -> list[Place]:
    """The boards the viewer may open, with their open task counts."""
    channels = openable(conn, ws=viewer.ws, user_id=viewer.user_id, admin=viewer.admin)
    counts = board.open_counts(conn, channels=channels)
    return [Place(c, label(c, viewer, t), counts.get(c, 0)) for c in channels]


class _CardWriter:
    """Cards as one viewer reads them, for one page: the labels every card shares are looked up
    once, and each distinct due date is written once (a board of hundreds of cards shares few)."""

    def __init__(
        self,
        viewer: Viewer,
        now: datetime,
        names: Mapping[str, str],
        helpers: Helpers,
        t: Callable[..., str],
    ) -> None:
        self._viewer = viewer
        self._now = now
        self._names = names
        self._moment = helpers.moment
        self._t = t
        self._priorities = {level: t(key) for level, key in _PRIORITY.items()}
        self._dues: dict[datetime, str] = {}

    def _due(self, moment: datetime) -> str:
        due = self._dues.get(moment)
        if due is None:
            due = self._moment(moment, self._viewer.tz, self._viewer.locale)
            self._dues[moment] = due
        return due

    def card(self, row: CardRow) -> Card:
        """``row`` as shown."""
        due_at = row.due_at
        overdue = row.done_at is None and due_at is not None and due_at < self._now
        names = self._names
        return Card(
            number=row.number,
            title=row.title,
            owners=[names.get(o, o) for o in row.owners],
            due=self._due(due_at) if due_at else "",
            overdue=overdue,
            priority=self._priorities.get(row.priority, ""),
            priority_level=row.priority,
            tags=row.tags,
            checks=self._t("web.checks", done=row.checks_done, total=row.checks_total)
            if row.checks_total
            else "",
        )


def board_page(
    conn: sa.Connection,
    *,
    channel: str,
    viewer: Viewer,
    filters: Filters,
    now: datetime,
    helpers: Helpers,
    t: Callable[..., str],
) -> BoardPage:
    """The board of ``channel`` as ``viewer`` sees it with ``filters``."""
    view = board.board_view(
        conn, ws=viewer.ws, channel=channel, filters=filters.storage(viewer, now)
    )
    shown = {o for cards in view.cards.values() for c in cards for o in c.owners}
    names = users.names(conn, ws=viewer.ws, user_ids=sorted(shown | set(view.owners)))
    write = _CardWriter(viewer, now, names, helpers, t).card
    columns = []
    for name in view.columns:
        count = view.counts.get(name, 0)
        limit = view.config.wip.get(name)
        cards = [write(row) for row in view.cards.get(name, [])]
        full = limit is not None and count >= limit
        done = name == view.config.done
        columns.append(Column(name, count, limit, full, done, cards, view.more.get(name, 0)))
    owners = sorted(((o, names.get(o, o)) for o in view.owners), key=lambda pair: pair[1].lower())
    return BoardPage.of(channel, label(channel, viewer, t), columns, owners, view.tags, filters)


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One line of a task's history as shown."""

    when: str
    who: str
    what: str
    via_web: bool


@dataclass(frozen=True, slots=True)
class TaskPage:
    """One task in full, with the columns it may move to."""

    channel: str
    card: Card
    column: str
    columns: Sequence[str]
    created: str
    checklist: list[tuple[int, str, bool]]
    notes: list[HistoryItem]
    history: list[HistoryItem]


def task_page(
    conn: sa.Connection,
    *,
    channel: str,
    number: int,
    viewer: Viewer,
    now: datetime,
    helpers: Helpers,
    t: Callable[..., str],
    chat: Translator,
) -> TaskPage | None:
    """Task ``#number`` of ``channel`` in full, or None when it is not on that board."""
    found = board.detail(conn, ws=viewer.ws, number=number)
    if found is None or found.channel != channel:
        return None
    lines = [h for h in found.history if h.kind in tasks.HISTORY_KINDS]
    people = {h.actor_id for h in lines} | set(found.card.owners)
    names = users.names(conn, ws=viewer.ws, user_ids=sorted(people))

    def item(line: HistoryLine, what: str) -> HistoryItem:
        when = helpers.moment(line.at, viewer.tz, viewer.locale)
        return HistoryItem(when, names.get(line.actor_id, line.actor_id), what, line.via == "web")

    def what(line: HistoryLine) -> str:
        detail = mentions.inert(line.detail)
        if line.kind in ("due", "snoozed"):  # a moment, stored in ISO 8601: the reader's zone
            with contextlib.suppress(ValueError):
                moment = datetime.fromisoformat(line.detail)
                detail = helpers.moment(moment, viewer.tz, viewer.locale)
        return chat.t(f"tasks.ev_{line.kind}", viewer.locale, detail=detail)

    history = [item(h, what(h)) for h in lines]
    return TaskPage(
        channel=channel,
        card=_CardWriter(viewer, now, names, helpers, t).card(found.card),
        column=found.card.column,
        columns=tasks.board(conn, channel=channel).columns,
        created=helpers.moment(found.created_at, viewer.tz, viewer.locale),
        checklist=found.checklist,
        notes=[item(h, h.detail) for h in lines if h.kind == "note"],
        history=history,
    )


def reply_text(text: str, names: Mapping[str, str]) -> str:
    """A command's reply as plain text for the page: mention tokens become ``@name``."""
    return "".join(
        piece if uid is None else f"@{names.get(uid, uid)}" for piece, uid in mentions.split(text)
    )
