"""The names channels go by in rules (``notify #cs``, ``follow up in #warehouse``).

Platforms hand Baton a channel's id, never its name, and a typed ``#name`` reaches Baton as plain
text; so a channel is named once, from inside it, and the name is unique in its workspace.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from storage.models_automation import ChannelName
from storage.types import table

_names = table(ChannelName)


def set_name(
    conn: sa.Connection, *, ws: str, name: str, channel: str, by: str, now: datetime
) -> bool:
    """Give ``channel`` the name ``name`` (replacing its old one); False when another channel of
    the workspace goes by it."""
    holder = channel_named(conn, ws=ws, name=name)
    if holder is not None and holder != channel:
        return False
    conn.execute(_names.delete().where(_names.c.channel == channel))
    values = {"ws": ws, "name": name, "channel": channel, "set_by": by, "set_at": now}
    conn.execute(_names.insert().values(**values))
    return True


def channel_named(conn: sa.Connection, *, ws: str, name: str) -> str | None:
    """The channel key that goes by ``name`` in ``ws``, or None."""
    query = sa.select(_names.c.channel).where(_names.c.ws == ws, _names.c.name == name)
    found = conn.execute(query).scalar()
    return None if found is None else str(found)


def name_of(conn: sa.Connection, *, channel: str) -> str | None:
    """The name ``channel`` goes by, or None."""
    found = conn.execute(sa.select(_names.c.name).where(_names.c.channel == channel)).scalar()
    return None if found is None else str(found)
