"""SQLModel tables of the web dashboard: where people have been seen (what they may open), one-time
sign-in links, and the key sessions are signed with when ``BATON_SECRET_KEY`` is unset."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.types import timestamp


class ChannelMember(SQLModel, table=True):
    """A person Baton has seen in a channel (``str(Target)`` without thread): they may open its
    board on the web. Written once per person and channel, the first time they write there."""

    __tablename__ = "channel_members"
    ws: str = Field(primary_key=True, max_length=160)
    user_id: str = Field(primary_key=True, max_length=128)
    channel: str = Field(primary_key=True, max_length=400)
    first_seen_at: datetime = timestamp()


class WebLink(SQLModel, table=True):
    """A one-time sign-in link: only a hash of its token is kept, so the table opens nothing."""

    __tablename__ = "web_links"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    ws: str = Field(max_length=160)
    user_id: str = Field(max_length=128)
    created_at: datetime = timestamp()
    expires_at: datetime = timestamp()
    used_at: datetime | None = timestamp(nullable=True)

    __table_args__ = (sa.Index("ix_web_links_person", "ws", "user_id", "created_at"),)


class WebKey(SQLModel, table=True):
    """A generated secret, stored once and shared by every process on the database."""

    __tablename__ = "web_keys"
    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)
    created_at: datetime = timestamp()
