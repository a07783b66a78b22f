"""Reading a rule as people write it, in English or Chinese:

- ``when moved to shipped notify @cs`` / ``移到 已发货 时 通知 @客服``
- ``when created with #damaged move to 紧急处理`` / ``新建 #差评 时 移到 紧急处理``
- ``when done follow up in #finance Invoice the buyer`` / ``完成 时 跟进 #财务 开发票``
- ``when overdue assign @lead`` / ``逾期 时 指派 @组长``
- ``when escalation overdue notify #support`` / ``问答超时 时 通知 #客服``

A rule is one trigger and one action. The trigger comes first; its argument (a column, a tag) runs
up to the first action word; the action's argument is the rest. Nothing here looks anything up:
:mod:`commands.automation.rules` checks columns, people and channels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from commands.tasks.spec import unquote

# Longest first: "moved to" before "moved", "问答超时" before "超时".
_TRIGGERS = (
    ("escalation overdue", "sla"), ("escalation past sla", "sla"), ("sla missed", "sla"),
    ("faq overdue", "sla"), ("past sla", "sla"), ("sla", "sla"),
    ("is moved to", "moved"), ("moved to", "moved"), ("moves to", "moved"),
    ("created with", "created"), ("created", "created"), ("tagged", "created"),
    ("is done", "done"), ("done", "done"), ("completed", "done"), ("finished", "done"),
    ("is overdue", "overdue"), ("overdue", "overdue"),
    ("问答超时", "sla"), ("升级超时", "sla"), ("超过sla", "sla"), ("sla超时", "sla"),
    ("被移到", "moved"), ("移动到", "moved"), ("移到", "moved"), ("移至", "moved"),
    ("进入", "moved"),
    ("新建带", "created"), ("创建带", "created"), ("新建", "created"), ("创建", "created"),
    ("已完成", "done"), ("完成", "done"),
    ("逾期", "overdue"), ("过期", "overdue"), ("超期", "overdue"),
)  # fmt: skip
_ACTIONS = (
    ("notify", "notify"), ("tell", "notify"),
    ("assign to", "assign"), ("assign", "assign"),
    ("add tag", "tag"), ("tag", "tag"),
    ("move to", "move"),
    ("follow up in", "follow"), ("follow up on", "follow"), ("follow up", "follow"),
    ("follow-up in", "follow"), ("follow-up", "follow"), ("followup", "follow"),
    ("通知", "notify"), ("告诉", "notify"),
    ("指派给", "assign"), ("分配给", "assign"), ("指派", "assign"), ("分配", "assign"),
    ("添加标签", "tag"), ("加标签", "tag"), ("打标签", "tag"),
    ("移动到", "move"), ("移到", "move"),
    ("创建跟进", "follow"), ("跟进到", "follow"), ("跟进", "follow"),
)  # fmt: skip
_LEADS = (("when", "when"), ("if", "when"), ("当", "when"), ("如果", "when"))
_FILLERS = re.compile(r"(?:\s|[,,]|\bthen\b|的时候|时|就|with|带)+$")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Written:
    """A rule as written: trigger and its argument, action and its argument (raw text)."""

    trigger: str
    trigger_arg: str
    action: str
    action_arg: str


class Unreadable(ValueError):
    """The text is not a rule; ``reason`` is the catalog key saying which part is missing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_rule(text: str) -> Written:
    """The trigger and action of ``text``; raises ``Unreadable`` saying what is missing."""
    _, rest = _leading(_SPACES.sub(" ", text.strip()), _LEADS)
    trigger, after = _leading(rest, _TRIGGERS)
    if trigger is None:
        raise Unreadable("automation.rule_no_trigger")
    found = _first_action(after)
    if found is None:
        raise Unreadable("automation.rule_no_action")
    start, end, action = found
    argument = _FILLERS.sub("", after[:start]).strip()
    argument = re.sub(r"^(?:with|带)\s*", "", argument)
    return Written(trigger, unquote(argument), action, after[end:].strip())


def _leading(text: str, words: tuple[tuple[str, str], ...]) -> tuple[str | None, str]:
    """The kind of the word ``text`` starts with, and the text after it."""
    folded = text.lower()
    for word, kind in words:
        if folded.startswith(word) and (not word.isascii() or _boundary(folded, len(word))):
            return kind, text[len(word) :].strip()
    return None, text


def _first_action(text: str) -> tuple[int, int, str] | None:
    """Where the first action word of ``text`` starts and ends, and its kind."""
    folded = text.lower()
    best: tuple[int, int, str] | None = None
    for word, kind in _ACTIONS:
        for match in re.finditer(re.escape(word), folded):
            start, end = match.span()
            if not _stands_alone(folded, start, end, ascii_word=word.isascii()):
                continue
            if best is None or start < best[0] or (start == best[0] and end > best[1]):
                best = (start, end, kind)
            break
    return best


def _stands_alone(text: str, start: int, end: int, *, ascii_word: bool) -> bool:
    """An English action word is a whole word; neither kind is part of a ``#tag``."""
    before = text[start - 1] if start else " "
    if before == "#":
        return False
    if not ascii_word:
        return True
    return before.isspace() and _boundary(text, end)


def _boundary(text: str, index: int) -> bool:
    return index >= len(text) or not (text[index].isalnum() or text[index] in "-_")
