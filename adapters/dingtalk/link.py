"""DingTalk Stream mode: a supervised connection loop built from dingtalk-stream's own pieces.

``DingTalkStreamClient.start()`` in dingtalk-stream 0.24.3 catches task cancellation and reconnects
forever, and its gateway handshake is a blocking ``requests`` call without a timeout, so a Baton
running it could never stop. This module keeps the SDK for what it does well (the client as the
registry of topic handlers, its gateway handshake, frame and message classes, handler acks) and
owns the loop: the handshake runs in a daemon thread under a timeout, frames are read from our own
websocket and routed to the SDK handlers, and ``stop()`` closes the socket and ends the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import sys
import threading
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

log = logging.getLogger(__name__)
T = TypeVar("T")

ENDPOINT_ENV = "DINGTALK_OPENAPI_ENDPOINT"
Process = Callable[[Any], Awaitable[tuple[int, Any]]]


def load_sdk(api_url: str) -> ModuleType:
    """Import dingtalk_stream, first pointing it at ``api_url`` when one is configured.

    The SDK reads ``DINGTALK_OPENAPI_ENDPOINT`` once, when it is imported, so the variable must be
    set before the first import; a later, different URL cannot take effect and is refused.
    """
    wanted = api_url.rstrip("/")
    if wanted and "dingtalk_stream" not in sys.modules:
        os.environ[ENDPOINT_ENV] = wanted
    import dingtalk_stream
    from dingtalk_stream import utils

    if wanted and wanted != utils.DINGTALK_OPENAPI_ENDPOINT:
        raise RuntimeError(
            f"dingtalk_stream was already imported for {utils.DINGTALK_OPENAPI_ENDPOINT}; "
            f"DINGTALK_API_URL={wanted} cannot apply in this process"
        )
    module: ModuleType = dingtalk_stream
    return module


async def off_loop(fn: Callable[[], T], *, seconds: float, name: str) -> T:
    """Run a blocking call in a daemon thread and wait at most ``seconds`` for it.

    A daemon thread rather than the default executor: a call that never returns (the SDK sets no
    timeout) must not keep the process from exiting.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result, error = fn(), None
        except BaseException as exc:  # handed to the waiting coroutine
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name=name, daemon=True).start()
    return await asyncio.wait_for(future, seconds)


def make_handler(sdk: ModuleType, process: Process) -> Any:
    """An SDK ``CallbackHandler`` whose ``process`` is ``process``; the SDK builds the ack."""

    class _Handler(sdk.CallbackHandler):  # type: ignore[misc, name-defined]
        async def process(self, message: Any) -> tuple[int, Any]:
            return await process(message)

    handler = _Handler()
    handler.logger = log
    return handler


class StreamLink:
    """One Stream-mode connection that reconnects with backoff until ``stop()``."""

    def __init__(
        self,
        sdk: ModuleType,
        client: Any,
        *,
        open_timeout: float = 10.0,
        max_backoff: float = 60.0,
    ) -> None:
        self._sdk = sdk
        self._client = client
        self._open_timeout = open_timeout
        self._max_backoff = max_backoff
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._ws: ClientConnection | None = None
        self._frames: set[asyncio.Task[None]] = set()
        self.connected = asyncio.Event()
        self.connections = 0

    def start(self) -> None:
        """Begin connecting in the background."""
        self._client.pre_start()
        self._task = asyncio.create_task(self._run(), name="dingtalk-stream")

    async def stop(self) -> None:
        """Stop reconnecting, close the socket and wait for the loop and in-flight frames to end."""
        self._stopping.set()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 5)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        frames = list(self._frames)
        if frames:
            _, pending = await asyncio.wait(frames, timeout=5)
            for task in pending:
                task.cancel()
            await asyncio.gather(*frames, return_exceptions=True)

    @property
    def running(self) -> bool:
        """True while the connection loop is alive."""
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                await self._connect_once()
                failures = 0
            except asyncio.CancelledError:
                raise
            except (OSError, TimeoutError, WebSocketException, ValueError) as exc:
                log.warning("DingTalk stream connection failed: %s", exc)
                failures += 1
            except Exception:
                log.exception("DingTalk stream connection failed")
                failures += 1
            finally:
                self._ws = None
                self.connected.clear()
            await self._pause(
                min(self._max_backoff, 2 ** min(failures, 6)) * random.uniform(0.5, 1)
            )

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _connect_once(self) -> None:
        ticket = await off_loop(
            self._client.open_connection, seconds=self._open_timeout, name="dingtalk-open"
        )
        if not ticket or "endpoint" not in ticket or "ticket" not in ticket:
            raise ValueError("the gateway refused to open a connection (check the credentials)")
        if self._stopping.is_set():
            return
        from urllib.parse import quote_plus

        uri = f"{ticket['endpoint']}?ticket={quote_plus(ticket['ticket'])}"
        async with connect(uri, proxy=None, open_timeout=self._open_timeout) as ws:
            self._ws = ws
            self.connections += 1
            self.connected.set()
            log.info("DingTalk stream connected")
            async for raw in ws:
                task = asyncio.create_task(self._route(ws, raw))
                self._frames.add(task)
                task.add_done_callback(self._frames.discard)

    async def _route(self, ws: ClientConnection, raw: str | bytes) -> None:
        """Hand one frame to its SDK handler and send the handler's ack back."""
        sdk = self._sdk
        try:
            frame = json.loads(raw)
            kind = frame.get("type", "")
            topic = (frame.get("headers") or {}).get("topic", "")
            if kind == sdk.SystemMessage.TYPE:
                if topic == sdk.SystemMessage.TOPIC_DISCONNECT:
                    await ws.close()  # the gateway asks us to move: reconnect
                    return
                ack = await self._client.system_handler.raw_process(
                    sdk.SystemMessage.from_dict(frame)
                )
            elif kind == sdk.CallbackMessage.TYPE:
                handler = self._client.callback_handler_map.get(topic)
                if handler is None:
                    log.warning("no handler for DingTalk topic %s", topic)
                    return
                ack = await handler.raw_process(sdk.CallbackMessage.from_dict(frame))
            elif kind == sdk.EventMessage.TYPE:
                ack = await self._client.event_handler.raw_process(
                    sdk.EventMessage.from_dict(frame)
                )
            else:
                log.warning("unknown DingTalk frame type %r", kind)
                return
            await ws.send(json.dumps(ack.to_dict()))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("DingTalk frame could not be handled; it will be redelivered")
