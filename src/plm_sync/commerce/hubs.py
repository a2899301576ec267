"""Which Commerce hub: its URL written one way, its key in the memory of pushes, its settings."""

from __future__ import annotations

from urllib.parse import urlsplit

from plm_sync.config import Settings

SETTING_NAMES = {
    "commerce_url": "PLM_SYNC_COMMERCE_URL",
    "commerce_oauth_key": "PLM_SYNC_COMMERCE_OAUTH_KEY",
    "commerce_oauth_secret": "PLM_SYNC_COMMERCE_OAUTH_SECRET",
    "commerce_app_id": "PLM_SYNC_COMMERCE_APP_ID",
}


def missing_settings(settings: Settings) -> list[str]:
    """The Commerce settings a push needs that are not set (environment names)."""
    return [env for name, env in SETTING_NAMES.items() if not getattr(settings, name)]


LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "127.0.0.1", "::1"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def normal_url(url: str) -> str:
    """A hub's controller URL as plm-sync calls it and keys it, written one way.

    Scheme and host lower-cased (`HTTP://Hub.example` is `http://hub.example`), the default
    port of the scheme and a trailing slash dropped, the loopback names (`localhost`,
    `127.0.0.1`, `::1`) one name, `127.0.0.1`. A user or password in the URL is left out.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname or ""  # lower-cased, without a user or password the URL may carry
    if host in LOOPBACK_NAMES:
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port and parts.port != DEFAULT_PORTS.get(scheme) else ""
    return f"{scheme}://{host}{port}{parts.path.rstrip('/')}"


def hub_key(url: str, app_id: str) -> str:
    """A hub as the memory of pushes keys it: its normalised URL and the app instance.

    One hub written two ways (`normal_url`) is one hub; another host, path, port or app id
    is another hub.
    """
    return f"{normal_url(url)} {app_id.strip()}"
