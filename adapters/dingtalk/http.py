"""DingTalk's HTTP side: the OpenAPI calls Baton makes and the robot callback signature.

Every call runs on the event loop with aiohttp and a timeout (the SDK's own calls block on
``requests`` with none). Failures become ``DeliveryError`` so the outbox retries: rate-limit answers
carry ``retry_after``, answers that retrying cannot fix are ``permanent``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.outbox import DeliveryError

log = logging.getLogger(__name__)

API_URL = "https://api.dingtalk.com"
OAPI_URL = "https://oapi.dingtalk.com"
MAX_SKEW_MS = 60 * 60 * 1000

# errcodes that mean "too fast": custom/session webhook 20 msg/min (130101, 90030), app QPS
# (90018, 90019), per-IP and monthly quotas (90002, 90020). Values: seconds to wait.
_RATE_ERRCODES = {130101: 60.0, 90030: 600.0, 90018: 2.0, 90019: 2.0, 90002: 2.0, 90020: 3600.0}
# errcodes that retrying cannot fix: bad parameters, unknown user or robot, no permission.
_PERMANENT_ERRCODES = {300001, 310000, 400013, 60011, 33012, 40035}


def sign(secret: str, timestamp: str) -> str:
    """The ``sign`` header DingTalk sends: base64(HmacSHA256(secret, timestamp + "\\n" + secret))."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_ok(secret: str, timestamp: str, signature: str, now_ms: int) -> bool:
    """True when the callback was signed with ``secret`` within the last hour (either way)."""
    if not timestamp.isdigit() or not signature or not secret:
        return False
    if abs(now_ms - int(timestamp)) > MAX_SKEW_MS:
        return False
    return hmac.compare_digest(sign(secret, timestamp), signature)


class DingTalkError(DeliveryError):
    """DingTalk answered with an ``errcode`` (as opposed to not answering)."""

    def __init__(
        self,
        message: str,
        *,
        errcode: int,
        retry_after: float | None = None,
        permanent: bool = False,
    ) -> None:
        super().__init__(message, retry_after=retry_after, permanent=permanent)
        self.errcode = errcode


def _error_for(status: int, body: dict[str, Any], headers: Any) -> DeliveryError | None:
    """The ``DeliveryError`` an answer amounts to, or None when it succeeded."""
    errcode = body.get("errcode")
    if isinstance(errcode, int) and errcode != 0:
        text = f"DingTalk errcode {errcode}: {body.get('errmsg', '')}"
        if errcode in _RATE_ERRCODES:
            return DingTalkError(text, errcode=errcode, retry_after=_RATE_ERRCODES[errcode])
        return DingTalkError(text, errcode=errcode, permanent=errcode in _PERMANENT_ERRCODES)
    if status < 400:
        return None
    code = str(body.get("code", ""))
    text = f"DingTalk HTTP {status} {code}: {body.get('message', '')}".strip()
    if status == 429 or "QpsLimit" in code or "Throttling" in code or "FlowControl" in code:
        retry = headers.get("Retry-After", "") if headers is not None else ""
        return DeliveryError(text, retry_after=float(retry) if retry.isdigit() else 2.0)
    if status in (401, 403) or status >= 500:
        return DeliveryError(text)
    return DeliveryError(text, permanent=True)


@dataclass
class OpenApi:
    """The DingTalk OpenAPI calls Baton needs, with a cached access token."""

    client_id: str
    client_secret: str
    robot_code: str
    api_url: str = API_URL
    oapi_url: str = OAPI_URL
    timeout: float = 10.0
    _session: aiohttp.ClientSession | None = None
    _token: str = ""
    _token_until: float = 0.0
    _names: dict[str, str] = field(default_factory=dict)

    async def close(self) -> None:
        """Release the HTTP connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout)
            )
        return self._session

    async def _call(
        self, method: str, url: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        try:
            async with self._http().request(method, url, json=body, headers=headers) as resp:
                text = await resp.text()
                try:
                    data = json.loads(text) if text else {}
                except ValueError:
                    data = {"message": text[:200]}
                if not isinstance(data, dict):
                    data = {}
                error = _error_for(resp.status, data, resp.headers)
                if resp.status in (401, 403):
                    self._token = ""  # revoked or expired: fetch a new one next time
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"DingTalk unreachable: {exc!r}") from exc
        if error is not None:
            raise error
        return data

    async def token(self) -> str:
        """The app's access token, fetched again five minutes before it expires."""
        if self._token and time.monotonic() < self._token_until:
            return self._token
        data = await self._call(
            "POST",
            f"{self.api_url}/v1.0/oauth2/accessToken",
            {"appKey": self.client_id, "appSecret": self.client_secret},
        )
        token = data.get("accessToken")
        if not isinstance(token, str) or not token:
            raise DeliveryError("DingTalk returned no access token")
        self._token = token
        self._token_until = time.monotonic() + float(data.get("expireIn", 7200)) - 300
        return token

    async def _api(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"x-acs-dingtalk-access-token": await self.token()}
        return await self._call(method, f"{self.api_url}{path}", body, headers)

    async def post_webhook(self, url: str, body: dict[str, Any]) -> None:
        """Send through a message's ``sessionWebhook`` (no token needed while it is valid)."""
        await self._call("POST", url, body)

    async def send_group(self, conversation_id: str, msg_key: str, param: dict[str, str]) -> str:
        """Send to a group the robot is in; returns DingTalk's ``processQueryKey``."""
        data = await self._api(
            "POST",
            "/v1.0/robot/groupMessages/send",
            {
                "robotCode": self.robot_code,
                "openConversationId": conversation_id,
                "msgKey": msg_key,
                "msgParam": json.dumps(param, ensure_ascii=False),
            },
        )
        return str(data.get("processQueryKey", ""))

    async def send_direct(self, user_id: str, msg_key: str, param: dict[str, str]) -> str:
        """Send one-to-one to a person; returns DingTalk's ``processQueryKey``."""
        data = await self._api(
            "POST",
            "/v1.0/robot/oToMessages/batchSend",
            {
                "robotCode": self.robot_code,
                "userIds": [user_id],
                "msgKey": msg_key,
                "msgParam": json.dumps(param, ensure_ascii=False),
            },
        )
        if user_id in (data.get("flowControlledStaffIdList") or []):
            raise DeliveryError(f"DingTalk flow control for {user_id}", retry_after=60.0)
        if user_id in (data.get("invalidStaffIdList") or []):
            raise DeliveryError(f"DingTalk does not know user {user_id}", permanent=True)
        return str(data.get("processQueryKey", ""))

    async def deliver_card(self, body: dict[str, Any]) -> None:
        """Create and deliver an interactive card instance (``createAndDeliver``)."""
        await self._api("POST", "/v1.0/card/instances/createAndDeliver", body)

    async def update_card(self, out_track_id: str, params: dict[str, str]) -> None:
        """Replace a delivered card's data (its buttons' clicks come back through Stream)."""
        await self._api(
            "PUT",
            "/v1.0/card/instances",
            {
                "outTrackId": out_track_id,
                "cardData": {"cardParamMap": params},
                "cardUpdateOptions": {"updateCardDataByKey": True},
            },
        )

    async def user_name(self, user_id: str) -> str:
        """A person's name from the user API, cached; empty when it cannot be had."""
        if user_id in self._names:
            return self._names[user_id]
        try:
            token = await self.token()
            data = await self._call(
                "POST",
                f"{self.oapi_url}/topapi/v2/user/get?access_token={token}",
                {"userid": user_id, "language": "zh_CN"},
            )
        except DeliveryError as exc:
            log.warning("DingTalk user %s: %s", user_id, exc)
            if isinstance(exc, DingTalkError) and exc.retry_after is None:
                self.remember_name(user_id, "")  # DingTalk said no: do not ask again
            return ""
        name = str((data.get("result") or {}).get("name", ""))
        if name:
            self.remember_name(user_id, name)
        return name

    def remember_name(self, user_id: str, name: str) -> None:
        """Cache a name seen in a payload (``senderNick``), bounded in size."""
        if len(self._names) >= 5000:
            self._names.pop(next(iter(self._names)))
        self._names[user_id] = name

    def cached_name(self, user_id: str) -> str:
        """A name already known, without asking DingTalk."""
        return self._names.get(user_id, "")
