"""The task workload ``bench/commands.py`` times on Baton and ``bench/opsdroid_tasks.py`` on
opsdroid: one module, imported by both (it needs nothing but Python, as the opsdroid one runs in a
virtualenv without Baton's dependencies), so the two always send the same messages and work out
their figures the same way."""

from __future__ import annotations


def script(i: int, first_new: int) -> str:
    """Message ``i`` of a mixed workload: add, list, move, show (``first_new``: the number the
    first task added gets)."""
    kind = i % 4
    if kind == 0:
        return f"task add Restock SKU-{i} @bob due:fri #stock"
    if kind == 1:
        return "task list"
    number = first_new + (i // 4)
    if kind == 2:
        return f"task move {number} doing --force"
    return f"task show {number}"


def latency_ms(latencies: list[float]) -> dict[str, float]:
    """The 50th and 99th percentile of ``latencies`` (seconds, sorted), in milliseconds."""
    return {
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 3),
    }


def per_message(
    messages: int, wall: float, cpu: float, latencies: list[float]
) -> dict[str, float]:
    """Throughput, CPU per message and latency percentiles of a run of ``messages`` that took
    ``wall`` and ``cpu`` seconds (``latencies``: each message's, sorted)."""
    return {
        "msgs_per_s": round(messages / wall, 1),
        "cpu_us_per_msg": round(cpu / messages * 1e6, 1),
        **latency_ms(latencies),
    }
