"""Board templates: the columns (and suggested WIP limits) of the boards small e-commerce teams
run, named in either language; ``task board template <name>`` sets a channel's board from one.

Each column is known by its English and its Chinese name, so ``task move 5 shipped`` works on a
board set up in Chinese (已发货) and ``任务 移动 5 已发货`` on one set up in English.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.tasks import BoardConfig


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a template: its names in English and Chinese, and a suggested WIP limit
    (0: none)."""

    en: str
    zh: str
    wip: int = 0


@dataclass(frozen=True, slots=True)
class Template:
    """A board layout: ``key`` and the names people call it by (any case, either language)."""

    key: str
    names: tuple[str, ...]
    columns: tuple[Column, ...]

    def config(self, locale: str) -> BoardConfig:
        """The board in ``locale``'s names (the last column means done)."""
        names = tuple(c.zh if locale == "zh" else c.en for c in self.columns)
        wip = {name: c.wip for name, c in zip(names, self.columns, strict=True) if c.wip}
        return BoardConfig(names, wip)

    def title(self, locale: str) -> str:
        """What the template is called in ``locale``: its first name in that language."""
        chinese = [n for n in self.names if not n.isascii()]
        return chinese[0] if locale == "zh" and chinese else self.names[0]


TEMPLATES = (
    Template(
        "orders",
        ("order fulfilment", "order fulfillment", "orders", "order", "fulfilment",
         "fulfillment", "订单履约", "订单", "履约", "发货"),
        (
            Column("review", "待审核"),
            Column("printing", "打单中", 30),
            Column("picked", "已拣货", 50),
            Column("packed", "已打包", 50),
            Column("to ship", "待发货"),
            Column("shipped", "已发货"),
            Column("delivered", "交付成功"),
        ),
    ),
    Template(
        "launch",
        ("product launch", "launch", "new product", "product", "产品上新", "新品上架", "上新",
         "新品"),
        (
            Column("development", "新品开发", 5),
            Column("sourcing", "采购", 5),
            Column("listing", "上架", 10),
            Column("promotion", "推广", 10),
            Column("launched", "已上线"),
        ),
    ),
    Template(
        "after-sales",
        ("after-sales", "after sales", "aftersales", "returns", "support", "售后", "售后服务"),
        (
            Column("new", "待处理"),
            Column("contacting buyer", "联系买家", 20),
            Column("returns", "退换货", 20),
            Column("refunding", "待退款"),
            Column("resolved", "已解决"),
        ),
    ),
    Template(
        "default",
        ("default", "basic", "默认", "基础"),
        (Column("todo", "待办"), Column("doing", "进行中"), Column("done", "已完成")),
    ),
)  # fmt: skip


def template_named(words: str) -> Template | None:
    """The template ``words`` names (``order fulfilment``, ``订单履约``, ``after sales``)."""
    wanted = _folded(words)
    for template in TEMPLATES:
        if wanted in {_folded(name) for name in (template.key, *template.names)}:
            return template
    return None


def _folded(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def column_names() -> tuple[tuple[str, str], ...]:
    """Every template column as (English, Chinese): the same column in either language."""
    return tuple((c.en, c.zh) for t in TEMPLATES for c in t.columns)
