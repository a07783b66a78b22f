"""lark-oapi, imported once, with the cyclic garbage collector paused while it loads.

``import lark_oapi`` loads about 11,000 modules (the package ``__init__`` and its event dispatcher pull
in every API's models; importing any submodule runs that ``__init__`` too, so nothing smaller can be
imported). Those ~330,000 objects live as long as the process, so collecting them is wasted work: the
import is about a quarter faster with the collector paused, and ``gc.freeze()`` keeps every later full
collection from re-scanning them (about 0.2 s each otherwise, on Baton's event loop). Both are
standard-library switches; nothing in the SDK is altered.
"""

from __future__ import annotations

import gc

_collecting = gc.isenabled()
gc.disable()
try:
    import lark_oapi as lark
    import lark_oapi.ws.client as ws_client
    from lark_oapi.core.exception import ObtainAccessTokenException
    from lark_oapi.core.utils.decryptor import AESCipher
    from lark_oapi.event.callback.model.p2_card_action_trigger import (
        P2CardActionTriggerResponse,
    )
finally:
    if _collecting:
        gc.enable()
gc.freeze()

__all__ = [
    "AESCipher",
    "ObtainAccessTokenException",
    "P2CardActionTriggerResponse",
    "lark",
    "ws_client",
]
