"""Baton's Prometheus metrics: what an operator watches to know Baton keeps up.

Counters and histograms are updated where the work happens (events stored, handlers run, sends,
ticks); the depth and age of the inbox and the outbox are read from the database when scraped, so
every process of a deployment reports the same, shared queues. One registry per app, never the
library's global one: two apps in one process (tests) keep apart.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.clock import Clock
from storage import inbox, outbox

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The metrics of one Baton process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.inbound = Counter(
            "baton_inbound_events", "Platform events stored before their ack, by platform and "
            "kind (redeliveries not counted).", ["platform", "kind"], registry=r,
        )  # fmt: skip
        self.redelivered = Counter(
            "baton_redelivered_events", "Platform events acknowledged again and not run twice.",
            ["platform"], registry=r,
        )  # fmt: skip
        self.handler_seconds = Histogram(
            "baton_handler_seconds", "Time to run one message: routing, the handler and storing "
            "its replies, in one transaction.", buckets=_SECONDS, registry=r,
        )  # fmt: skip
        self.deliveries = Counter(
            "baton_deliveries", "Messages handed to a platform, by result: sent, retry (failed, "
            "to be tried again) or parked (given up).", ["platform", "result"], registry=r,
        )  # fmt: skip
        self.tick_seconds = Histogram(
            "baton_tick_seconds", "Time one periodic tick took.", ["tick"], buckets=_SECONDS,
            registry=r,
        )  # fmt: skip
        self.faq_decisions = Counter(
            "baton_faq_decisions", "FAQ lookups by decision: answer, suggest or escalate.",
            ["decision"], registry=r,
        )  # fmt: skip

    def watch_queues(self, engine: sa.Engine, clock: Clock) -> None:
        """Report the inbox's and the outbox's depth and oldest age, read at each scrape."""
        self.registry.register(_Queues(engine, clock))

    def render(self) -> bytes:
        """Everything in the Prometheus text format."""
        return generate_latest(self.registry)


class _Queues(Collector):
    """Depth and age of the durable queues, from the database (shared by every process)."""

    def __init__(self, engine: sa.Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self._clock.now()
        with self._engine.connect() as conn:
            waiting, oldest = inbox.depth(conn)
            by_status = outbox.depth(conn)
        yield GaugeMetricFamily("baton_inbox_depth", "Stored events not run yet.", value=waiting)
        yield GaugeMetricFamily(
            "baton_inbox_oldest_seconds",
            "Age of the oldest stored event not run yet (0 when none).",
            value=(now - oldest).total_seconds() if oldest else 0.0,
        )
        depth = GaugeMetricFamily(
            "baton_outbox_depth", "Outbox messages by status.", labels=["status"]
        )
        age = GaugeMetricFamily(
            "baton_outbox_oldest_seconds",
            "Age of the oldest message in each unsent status (0 when none).",
            labels=["status"],
        )
        for status in ("pending", "sending", "parked"):
            count, first = by_status.get(status, (0, None))
            depth.add_metric([status], count)
            age.add_metric([status], (now - first).total_seconds() if first else 0.0)
        depth.add_metric(["sent"], by_status.get("sent", (0, None))[0])
        yield depth
        yield age
