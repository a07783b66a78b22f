"""SQLModel tables of the FAQ: entries, who may edit them, experts, watched channels, every question
asked (for the deflection rate) and the escalations to humans with their SLA steps."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.types import timestamp


class FaqEntry(SQLModel, table=True):
    """One answer with the phrasings that ask for it. ``alternates`` is a JSON list; ``tags`` is
    space separated with a leading and trailing space (so ``LIKE '% tag %'`` finds one)."""

    __tablename__ = "faq_entries"
    id: int | None = Field(default=None, primary_key=True)
    question: str = Field(max_length=1000)
    alternates: str = "[]"
    answer: str = Field(max_length=8000)
    tags: str = Field(default=" ", max_length=500)
    lang: str = Field(default="", max_length=8)
    owner_id: str = Field(default="", max_length=128)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
    verified_at: datetime | None = timestamp(nullable=True)
    views: int = 0
    helpful: int = 0
    not_helpful: int = 0
    # The FAQ version of the entry's last change: an index catches up by reading newer rows only.
    revision: int = Field(default=0, index=True, sa_column_kwargs={"server_default": "0"})


class FaqState(SQLModel, table=True):
    """One row whose ``version`` every FAQ write bumps, so search indexes know when to rebuild."""

    __tablename__ = "faq_state"
    id: int = Field(default=1, primary_key=True)
    version: int = 0


class FaqTombstone(SQLModel, table=True):
    """A deleted entry and the FAQ version that deleted it, so an index drops it incrementally."""

    __tablename__ = "faq_tombstones"
    entry_id: int = Field(primary_key=True)
    revision: int = Field(index=True)


class FaqVector(SQLModel, table=True):
    """A sentence vector (float32 bytes) of one text under one model, keyed by the text's
    SHA-256: a restart reads vectors back instead of encoding the FAQ again, and an edit encodes
    only the texts it changed."""

    __tablename__ = "faq_vectors"
    model: str = Field(primary_key=True, max_length=80)
    digest: str = Field(primary_key=True, max_length=64)
    vector: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))


class FaqLearned(SQLModel, table=True):
    """A phrasing Baton added to an entry by itself (an asker's pick, an expert's saved answer),
    listed by ``faq learned`` for editors to review or undo."""

    __tablename__ = "faq_learned"
    id: int | None = Field(default=None, primary_key=True)
    ws: str = Field(max_length=160)
    entry_id: int
    text: str = Field(max_length=1000)
    source: str = Field(max_length=16)  # pick | expert
    by_id: str = Field(max_length=128)
    learned_at: datetime = timestamp()
    undone_at: datetime | None = timestamp(nullable=True)

    __table_args__ = (sa.Index("ix_faq_learned_ws_at", "ws", "learned_at"),)


class FaqRejection(SQLModel, table=True):
    """ "Not helpful": the question (by the SHA-256 of its folded form) is not this entry."""

    __tablename__ = "faq_rejections"
    digest: str = Field(primary_key=True, max_length=64)
    entry_id: int = Field(primary_key=True)
    by_id: str = Field(max_length=128)
    rejected_at: datetime = timestamp()


class FaqEditor(SQLModel, table=True):
    """People allowed to change the FAQ besides the admins."""

    __tablename__ = "faq_editors"
    ws: str = Field(primary_key=True, max_length=160)
    user_id: str = Field(primary_key=True, max_length=128)


class FaqExpert(SQLModel, table=True):
    """Who answers questions on a topic (``#tag``) or in a channel (``str(Target)``)."""

    __tablename__ = "faq_experts"
    ws: str = Field(primary_key=True, max_length=160)
    scope: str = Field(primary_key=True, max_length=400)
    user_id: str = Field(primary_key=True, max_length=128)


class FaqWatch(SQLModel, table=True):
    """Channels where every message that reads as a question is looked up in the FAQ."""

    __tablename__ = "faq_watch"
    channel: str = Field(primary_key=True, max_length=400)
    added_by: str = Field(max_length=128)


class FaqQuestion(SQLModel, table=True):
    """A question Baton looked up, what it decided and how it ended (for ``faq stats``)."""

    __tablename__ = "faq_questions"
    id: int | None = Field(default=None, primary_key=True)
    ws: str = Field(max_length=160)
    asker_id: str = Field(max_length=128)
    place: str = Field(max_length=400)
    text: str = Field(max_length=2000)
    decision: str = Field(max_length=16)  # answer | suggest | escalate
    entry_id: int | None = None
    helpful: bool | None = None
    escalation_id: int | None = None
    asked_at: datetime = timestamp()
    asked_human: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})

    __table_args__ = (sa.Index("ix_faq_questions_ws_at", "ws", "asked_at"),)


class FaqEscalation(SQLModel, table=True):
    """A question handed to people, with its SLA clock and who responded when."""

    __tablename__ = "faq_escalations"
    id: int | None = Field(default=None, primary_key=True)
    ws: str = Field(max_length=160)
    question: str = Field(max_length=2000)
    folded: str = Field(max_length=2000)  # normalised question, to link repeats
    asker_id: str = Field(max_length=128)
    place: str = Field(max_length=400)  # where to answer (the thread)
    topic: str = Field(default="", max_length=100)
    priority: str = Field(default="normal", max_length=16)  # normal | urgent
    experts: str = Field(default="", max_length=2000)  # space separated user ids
    status: str = Field(default="open", max_length=16)  # open | resolved | withdrawn
    created_at: datetime = timestamp()
    due_at: datetime = timestamp()
    first_response_at: datetime | None = timestamp(nullable=True)
    responder_id: str | None = Field(default=None, max_length=128)
    repinged_at: datetime | None = timestamp(nullable=True)
    raised_at: datetime | None = timestamp(nullable=True)
    resolved_at: datetime | None = timestamp(nullable=True)
    entry_id: int | None = None
    reply: str | None = Field(default=None, max_length=8000)  # latest reply in the thread
    reply_by: str | None = Field(default=None, max_length=128)

    __table_args__ = (
        sa.Index("ix_faq_escalations_status_due", "status", "due_at"),
        sa.Index("ix_faq_escalations_ws_folded", "ws", "folded"),
        sa.Index("ix_faq_escalations_place", "place", "status"),
    )
