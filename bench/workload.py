"""The task workload ``bench/commands.py`` times on Baton and ``bench/opsdroid_tasks.py`` on
opsdroid: one module, imported by both (it needs nothing but Python, as the opsdroid one runs in a
virtualenv without Baton's dependencies), so the two always send the same messages."""

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
