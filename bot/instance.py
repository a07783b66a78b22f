"""Who this process is, for the rows it holds, and whether another holder is known to be gone.

Inbox and outbox rows are held on a lease by an owner named ``host/pid/boot``. A lease running out
is the general way another process takes a row over; but a process restarted on the same machine
need not wait for that: the previous holder's pid is gone (or belongs to a different program now,
which the boot token tells apart), so its rows are taken over without waiting for their
leases (the outbox still lets a dead sender's last request land first: ``bot.outbox``).
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass, field

# Made once per process: every App in a process (tests build several) is the same holder.
_BOOT = secrets.token_hex(4)


def _pid_alive(pid: int) -> bool:
    """True when a process with ``pid`` exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as someone else's process
        return True
    return True


@dataclass(frozen=True, slots=True)
class Instance:
    """This process: host name, pid and a token new at every start of a process."""

    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    boot: str = _BOOT

    @property
    def owner(self) -> str:
        """The name rows held by this process carry."""
        return f"{self.host}/{self.pid}/{self.boot}"

    def is_gone(self, owner: str) -> bool:
        """True when ``owner`` is known not to run any more: a process of this machine whose pid is
        gone, or this pid in an earlier start. Holders on other machines are never known gone;
        their leases run out instead."""
        host, _, rest = owner.partition("/")
        pid_text, _, boot = rest.partition("/")
        if host != self.host or not pid_text.isdigit():
            return False
        pid = int(pid_text)
        if pid == self.pid:
            return boot != self.boot
        return not _pid_alive(pid)
