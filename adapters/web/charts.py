"""The metrics page: figures, charts with their numbers as tables, and each table as CSV.

The figures come from :mod:`storage.metrics` (which says what each one means); here they become
what a person reads: tiles with a headline number, charts (drawn by Chart.js from the JSON in a
``data-chart`` attribute, so no inline script), and under each chart the same numbers as a table
that can be downloaded.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from adapters.web.viewer import Helpers, Viewer, duration
from storage import flow, metrics
from storage.flow import Flow
from storage.metrics import Scope

PERIODS = (7, 30, 90)
GAPS = "gaps"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these


@dataclass(frozen=True, slots=True)
class Tile:
    """A headline figure."""

    label: str
    value: str
    detail: str
    alert: bool = False


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart (``kind`` "bar" or "line"; "table" for numbers only) and its table."""

    id: str
    title: str
    kind: str
    labels: list[str]
    series: list[tuple[str, list[float | None]]]
    headers: list[str]
    rows: list[list[str]]
    integer: bool = True  # counts: no fractional ticks

    def spec(self) -> dict[str, object]:
        """What ``charts.js`` draws."""
        return {
            "type": self.kind,
            "labels": self.labels,
            "series": [{"name": name, "values": values} for name, values in self.series],
            "integer": self.integer,
        }

    @property
    def empty(self) -> bool:
        """True when there is nothing to show (no rows, or a chart of nothing but zeros)."""
        if self.kind == "table":
            return not self.rows
        return not any(v for _, values in self.series for v in values)


@dataclass(frozen=True, slots=True)
class MetricsPage:
    """Everything on one metrics page."""

    days: int
    tiles: list[Tile]
    charts: list[Chart] = field(default_factory=list)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _percent(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "—"


def _flow_charts(work: Flow, t: Callable[..., str]) -> list[Chart]:
    weeks = [w.isoformat() for w, _ in work.throughput]
    days = [d.isoformat() for d, _ in work.wip]
    columns = [c for c, _ in work.in_column]
    medians = [_hours(s.median) for _, s in work.in_column]
    p90s = [_hours(s.p90) for _, s in work.in_column]
    return [
        Chart(
            "throughput", t("web.throughput"), "bar", weeks,
            [(t("web.col_finished"), [float(n) for _, n in work.throughput])],
            [t("web.col_week"), t("web.col_finished")],
            [[w, str(n)] for w, (_, n) in zip(weeks, work.throughput, strict=True)],
        ),
        Chart(
            "wip", t("web.wip_over_time"), "line", days,
            [(t("web.col_open"), [float(n) for _, n in work.wip])],
            [t("web.col_day"), t("web.col_open")],
            [[d, str(n)] for d, (_, n) in zip(days, work.wip, strict=True)],
        ),
        Chart(
            "columns", t("web.in_column"), "bar", columns,
            [(t("web.col_median_h"), medians), (t("web.col_p90_h"), p90s)],
            [t("web.col_column"), t("web.col_moves"), t("web.col_median_h"), t("web.col_p90_h")],
            [
                [c, str(s.count), _number(m), _number(p)]
                for (c, s), m, p in zip(work.in_column, medians, p90s, strict=True)
            ],
            integer=False,
        ),
    ]  # fmt: skip


def _faq_charts(
    faq: metrics.Faq, gaps: list[tuple[str, int]], t: Callable[..., str]
) -> list[Chart]:
    weeks = [w.isoformat() for w, _, _ in faq.weekly]
    return [
        Chart(
            "faq", t("web.faq_weekly"), "bar", weeks,
            [
                (t("web.col_asked"), [float(a) for _, a, _ in faq.weekly]),
                (t("web.col_answered"), [float(h) for _, _, h in faq.weekly]),
            ],
            [t("web.col_week"), t("web.col_asked"), t("web.col_answered")],
            [[w.isoformat(), str(a), str(h)] for w, a, h in faq.weekly],
        ),
        Chart(
            GAPS, t("web.gaps"), "table", [], [],
            [t("web.col_question"), t("web.col_times")],
            [[question, str(times)] for question, times in gaps],
        ),
    ]  # fmt: skip


def _standup_chart(standups: metrics.Standups, t: Callable[..., str]) -> Chart:
    rates = [round(100 * a / e) if e else None for _, a, e in standups.daily]
    return Chart(
        "standups", t("web.standups_daily"), "line", [d.isoformat() for d, _, _ in standups.daily],
        [(t("web.col_rate"), [None if r is None else float(r) for r in rates])],
        [t("web.col_day"), t("web.col_answers"), t("web.col_expected"), t("web.col_rate")],
        [
            [d.isoformat(), str(a), str(e), "" if r is None else str(r)]
            for (d, a, e), r in zip(standups.daily, rates, strict=True)
        ],
    )  # fmt: skip


def _tiles(
    work: Flow, faq: metrics.Faq, standups: metrics.Standups, t: Callable[..., str]
) -> list[Tile]:
    cycle, first = work.cycle, faq.first_response
    return [
        Tile(
            t("web.cycle"),
            duration(cycle.median, t),
            f"{t('web.p90')} {duration(cycle.p90, t)} · {t('web.finished_count', count=cycle.count)}",
        ),
        Tile(t("web.wip_now"), str(work.wip[-1][1] if work.wip else 0), t("web.wip_detail")),
        Tile(
            t("web.bounces"),
            str(work.bounces),
            t(
                "web.bounces_detail",
                bounces=work.bounces,
                moves=work.moves,
                tasks=work.bounced_tasks,
            ),
        ),
        Tile(t("web.overdue_now"), str(work.overdue), t("web.overdue_detail"), work.overdue > 0),
        Tile(
            t("web.deflection"),
            _percent(faq.answered, faq.questions),
            t("web.deflection_detail", answered=faq.answered, questions=faq.questions),
        ),
        Tile(
            t("web.first_response"),
            duration(first.median, t),
            f"{t('web.p90')} {duration(first.p90, t)} · "
            + t("web.first_response_detail", count=faq.escalations, breaches=faq.breaches),
            faq.breaches > 0,
        ),
        Tile(
            t("web.standups"),
            _percent(standups.answered, standups.expected),
            t("web.standups_detail", answered=standups.answered, expected=standups.expected),
        ),
    ]


def metrics_page(
    conn: sa.Connection,
    *,
    scope: Scope,
    days: int,
    now: datetime,
    viewer: Viewer,
    helpers: Helpers,
    t: Callable[..., str],
) -> MetricsPage:
    """The figures of ``scope`` over the last ``days`` days, for ``viewer``."""
    since = now - timedelta(days=days)
    work = flow.flow(conn, scope=scope, since=since, now=now, tz=viewer.tz)
    faq = metrics.faq(conn, scope=scope, since=since, now=now, tz=viewer.tz)
    standups = metrics.standups(conn, scope=scope, since=since, now=now, tz=viewer.tz)
    gaps = helpers.knowledge_gaps(faq.unanswered)
    charts = [*_flow_charts(work, t), *_faq_charts(faq, gaps, t), _standup_chart(standups, t)]
    return MetricsPage(days, _tiles(work, faq, standups, t), charts)


def _cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (a question may start
    with "=")."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def as_csv(chart: Chart) -> str:
    """The chart's table as CSV (with a byte-order mark, so spreadsheets read Chinese as such)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(h) for h in chart.headers])
    writer.writerows([[_cell(c) for c in row] for row in chart.rows])
    return out.getvalue()


def chart_named(page: MetricsPage, name: str) -> Chart | None:
    """The chart ``name`` of ``page``, if it has one."""
    return next((c for c in page.charts if c.id == name), None)


def period(text: str | None) -> int:
    """The window a ``days`` parameter names (7, 30 or 90; anything else is 30)."""
    return int(text) if text in {str(p) for p in PERIODS} else 30


def scope_of(viewer: Viewer, channels: Sequence[str]) -> Scope:
    """The scope of a page over ``channels`` in the viewer's workspace."""
    return Scope(viewer.ws, tuple(channels))
