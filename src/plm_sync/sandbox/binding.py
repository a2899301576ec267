"""Where a sandbox may listen: loopback only, unless an operator says otherwise."""

from __future__ import annotations

import ipaddress


class SandboxBindError(ValueError):
    """A sandbox was asked to listen beyond loopback without `allow_remote`."""


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or `localhost`."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def loopback_only(host: str, *, allow_remote: bool, what: str) -> None:
    """Refuse (SandboxBindError) a host beyond loopback unless `allow_remote`."""
    if not allow_remote and not is_loopback(host):
        msg = (
            f"refusing to listen on {host}: {what} is a test double that serves test data on "
            "loopback only; pass --allow-remote to listen elsewhere"
        )
        raise SandboxBindError(msg)
