"""SQLModel tables of channel-scoped permissions: who manages which channel.

A channel key is ``str(Target)`` without a thread (``slack:T01/C02``), the same key boards,
standups and reminder settings use, so a manager of a channel manages all of them.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import timestamp


class ChannelManager(SQLModel, table=True):
    """A person an admin made a manager of one channel (``manager add @x``)."""

    __tablename__ = "channel_managers"
    channel: str = Field(primary_key=True, max_length=400)
    user_id: str = Field(primary_key=True, max_length=128)
    added_by: str = Field(max_length=128)
    added_at: datetime = timestamp()
