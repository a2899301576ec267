"""Messages to people: a run that needs one, a schedule gone quiet (Apprise URLs).

`PLM_SYNC_NOTIFY` holds one or more Apprise URLs (Slack, Microsoft Teams, e-mail, a JSON
webhook, ...), separated by spaces. A message never carries a secret (the URLs themselves are
never logged or shown: they hold tokens), and a notifier that fails is logged, never raised:
a run does not fail because Slack is down.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import structlog

log = structlog.get_logger(__name__)
ERRORS_SHOWN = 5


@dataclass(frozen=True)
class Message:
    """What is sent: a title, a body and how bad it is (`info`, `warning`, `failure`)."""

    title: str
    body: str
    level: str = "failure"


def targets(setting: str | None) -> list[str]:
    """The Apprise URLs of `PLM_SYNC_NOTIFY` (space or comma separated)."""
    if not setting:
        return []
    return [url for url in setting.replace(",", " ").split() if url]


def scheme_of(url: str) -> str:
    """What a URL is, without what it holds (`slack`, `json`, `mailto`)."""
    return urlsplit(url).scheme or "unknown"


WEBHOOK_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms"})


def probe(url: str, timeout: float = 5.0) -> tuple[bool, str]:
    """Whether a `PLM_SYNC_NOTIFY` target parses and (a webhook) answers, and what was seen.

    Nothing is sent: a webhook's host and port must take a connection; any other service
    (Slack, e-mail, …) is only parsed (`plm-sync notify test` sends a test message). The
    text names the scheme and a webhook's host, never a token.
    """
    scheme = scheme_of(url)
    try:
        import apprise  # noqa: PLC0415 - an optional extra: plm-sync[notify]
    except ImportError:
        return False, "apprise is not installed: pip install 'plm-sync[notify]'"
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return False, f"{scheme}://…: not a URL Apprise can send to; check its spelling"
    if scheme not in WEBHOOK_SCHEMES or not getattr(plugin, "host", None):
        return True, f"{scheme}://…: parsed (not probed: `plm-sync notify test` sends one)"
    host = str(plugin.host)
    port = int(plugin.port or (443 if plugin.secure else 80))
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return False, f"{scheme}://{host}:{port}: does not answer ({reason})"
    return True, f"{scheme}://{host}:{port}: answers"


def send(urls: Sequence[str], message: Message) -> bool:
    """Send to every URL; True when all took it. Failures are logged (by scheme only)."""
    if not urls:
        return True
    try:
        import apprise  # noqa: PLC0415 - an optional extra: plm-sync[notify]
    except ImportError:
        log.warning("notify_unavailable", reason="apprise is not installed: plm-sync[notify]")
        return False
    kinds = {
        "info": apprise.NotifyType.INFO,
        "warning": apprise.NotifyType.WARNING,
        "failure": apprise.NotifyType.FAILURE,
    }
    delivered = True
    for url in urls:
        notifier = apprise.Apprise()
        try:
            if not notifier.add(url):
                log.warning("notify_url_invalid", scheme=scheme_of(url))
                delivered = False
                continue
            sent = notifier.notify(
                title=message.title,
                body=message.body,
                notify_type=kinds.get(message.level, apprise.NotifyType.FAILURE),
            )
        except Exception as error:  # noqa: BLE001 - a notifier never fails its caller
            log.warning("notify_failed", scheme=scheme_of(url), error=type(error).__name__)
            delivered = False
            continue
        if not sent:
            log.warning("notify_failed", scheme=scheme_of(url))
            delivered = False
    return delivered


def run_needs_a_person(run: dict[str, Any]) -> bool:
    """A run that failed, ended with errors, was held by a brake or is a plan that waits.

    Dry runs never, but for a change plan (a push's dry run waiting for approval).
    """
    if run["status"] == "planned":
        return True
    return not run.get("dry_run") and run["status"] in {"failed", "succeeded_with_errors"}


def run_message(
    run: dict[str, Any], errors: Sequence[dict[str, Any]], public_url: str | None
) -> Message:
    """The message about a closed run: what happened, its counts, its first errors, a link."""
    counts = run["counts"]
    message = run.get("message") or ""
    held = "brake" in message
    if run["status"] == "failed":
        what = "failed"
    elif run["status"] == "planned":
        what = "waits for approval"
    elif run["trigger"] == "drift" and counts["updated"]:
        what = f"found {counts['updated']} line(s) on the hub that differ from the catalog"
    elif held:
        what = "held lines (brake)"
    else:
        what = "ended with errors"
    title = f"plm-sync: {run['trigger']} run {run['id']} {what}"
    lines = [
        f"Run {run['id']} ({run['trigger']}, {run['scope']}): {run['status']}.",
        (
            f"Products {counts['products']}, items {counts['items']}, created "
            f"{counts['created']}, updated {counts['updated']}, deactivated "
            f"{counts['deactivated']}, errors {counts['errors']}."
        ),
    ]
    if message:
        lines.append(message)
    if errors:
        lines.append("First errors:")
        lines += [
            f"- {event['code']} {event.get('connect_product_id') or ''}: {event['message'][:300]}"
            for event in errors[:ERRORS_SHOWN]
        ]
    if public_url:
        lines.append(f"Report: {public_url.rstrip('/')}/runs/{run['id']}")
    else:
        lines.append(f"Report: plm-sync report {run['id']}")
    kind = "warning" if held or run["status"] == "planned" else "failure"
    return Message(title, "\n".join(lines), kind)
