"""What the FAQ tells other features (:mod:`bot.signals`): an escalated question passed its SLA
with nobody answering. Raised by the SLA tick in the transaction that claims the step, once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.events import Target
from storage.faq_escalations import EscalationRow


@dataclass(frozen=True, slots=True)
class EscalationOverdue:
    """Escalation ``id`` (asked by ``asker_id`` in ``place``) is past its SLA deadline ``due_at``."""

    id: int
    ws: str
    place: str
    question: str
    asker_id: str
    experts: tuple[str, ...]
    due_at: datetime

    @classmethod
    def of(cls, row: EscalationRow) -> EscalationOverdue:
        """The signal for a stored escalation."""
        return cls(row.id, row.ws, row.place, row.question, row.asker_id, row.experts, row.due_at)

    @property
    def key(self) -> str:
        """Names this SLA miss."""
        return f"faq:{self.id}:sla"

    @property
    def channel(self) -> str:
        """The channel the question was asked in (its board), outside any thread."""
        return str(Target.parse(self.place).without_thread())
