"""The Commerce sandbox's OAuth 1.0a check: two-legged, one consumer, replays refused."""

from __future__ import annotations

import threading
import time
from typing import Any

from oauthlib.oauth1 import RequestValidator, SignatureOnlyEndpoint

NONCE_SECONDS = 600  # how long a nonce is remembered, and oauthlib's timestamp window


class _ConsumerValidator(RequestValidator):
    """Two-legged OAuth 1.0a: one consumer, no tokens; nonces remembered for ten minutes."""

    def __init__(self, key: str, secret: str) -> None:
        super().__init__()
        self._key = key
        self._secret = secret
        self._nonces: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    # the defaults expect 20-30 character keys and nonces of certain characters; a hub's
    # consumer keys are whatever it issued
    @property
    def enforce_ssl(self) -> bool:
        return False

    @property
    def client_key_length(self) -> tuple[int, int]:
        return 1, 200

    @property
    def nonce_length(self) -> tuple[int, int]:
        return 8, 200

    @property
    def safe_characters(self) -> set[str]:
        return set(map(chr, range(33, 127)))

    @property
    def dummy_client(self) -> str:
        return "dummy-consumer"

    def get_client_secret(self, client_key: str, request: Any) -> str:  # noqa: ANN401, ARG002
        return self._secret if client_key == self._key else "dummy-secret"

    def validate_client_key(self, client_key: str, request: Any) -> bool:  # noqa: ANN401, ARG002
        return client_key == self._key

    def validate_timestamp_and_nonce(  # noqa: PLR0917 - oauthlib's signature
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: Any,  # noqa: ANN401, ARG002
        request_token: str | None = None,  # noqa: ARG002
        access_token: str | None = None,  # noqa: ARG002
    ) -> bool:
        now = time.time()
        with self._lock:
            self._nonces = {k: t for k, t in self._nonces.items() if now - t < NONCE_SECONDS}
            if (client_key, nonce) in self._nonces:
                return False  # a replayed request
            self._nonces[(client_key, nonce)] = now
        return abs(now - float(timestamp)) < NONCE_SECONDS


def consumer_endpoint(key: str, secret: str) -> SignatureOnlyEndpoint:
    """Oauthlib's endpoint that verifies a request is signed by this one consumer."""
    return SignatureOnlyEndpoint(_ConsumerValidator(key, secret))
