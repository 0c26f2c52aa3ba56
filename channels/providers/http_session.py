"""An httpx client shared by the HTTP providers of one batch."""

from __future__ import annotations

import httpx

from channels.providers.base import SendResult, Session


class HttpSession(Session):
    def __init__(self, timeout: float):
        self.client = httpx.Client(timeout=timeout)

    def post(self, url: str, **kwargs) -> httpx.Response | SendResult:
        try:
            return self.client.post(url, **kwargs)
        except httpx.TimeoutException as exc:
            return SendResult("transient", error=f"timeout: {exc}"[:255])
        except httpx.HTTPError as exc:
            return SendResult("transient", error=f"connection: {exc}"[:255])

    def close(self) -> None:
        self.client.close()
