"""The Commerce sandbox's PLM task log: an `applyConfig` becomes a task that runs, then ends.

A task moves n -> r -> s (or f, with the hub's `actionOutput`) over `task_seconds`; PLM
carries the configuration out when its time has come, whether anyone polls it or not
(`settle`, called on every request). `getTaskLog` matches task names as a LIKE pattern.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from plm_sync.commerce.client import PLM_TYPE
from plm_sync.sandbox.commerce.options import RESOURCE_IDS, CommerceSandboxOptions
from plm_sync.sandbox.commerce.plm import SandboxPlm


@dataclass
class _Task:
    """One `applyConfig` as PLM runs it."""

    tracking_id: str
    task_id: int
    started: float
    fail: bool
    body: dict[str, Any]
    applied: bool = False


class TaskLog:
    """The hub's tasks, by tracking id (thread-safe)."""

    def __init__(self, plm: SandboxPlm, options: CommerceSandboxOptions) -> None:
        self.plm = plm
        self.options = options
        self.tasks: dict[str, _Task] = {}
        self._lock = threading.Lock()

    def settle(self) -> None:
        """Carry out every task whose time has come (PLM works without being polled)."""
        with self._lock:
            due = [
                task
                for task in self.tasks.values()
                if not task.applied
                and not task.fail
                and time.monotonic() - task.started >= self.options.task_seconds
            ]
            for task in due:
                task.applied = True
        for task in due:
            self.plm.apply(task.tracking_id, task.body)

    def start(self, body: dict[str, Any]) -> str:
        """A new task carrying out an `applyConfig` body: its tracking id."""
        tracking = str(uuid.uuid4())
        with self._lock:
            self.tasks[tracking] = _Task(
                tracking, 1000 + len(self.tasks), time.monotonic(), self.options.fail_task, body
            )
        return tracking

    def rows(self, query: str) -> list[dict[str, Any]]:
        """`getTaskLog?task_name=%…%`: the rows whose task name matches, newest first.

        The name is matched as a LIKE pattern (`%` any text); [] before any task exists.
        """
        pattern = query.partition("task_name=")[2].split("&")[0]
        like = re.compile(".*".join(re.escape(part) for part in pattern.split("%")), re.DOTALL)
        self.settle()
        with self._lock:
            tasks = sorted(self.tasks.values(), key=lambda task: -task.task_id)
            return [self._row(task) for task in tasks if like.fullmatch(self._name(task))]

    @staticmethod
    def _name(task: _Task) -> str:
        return (
            f"Execute operation '/applyConfig'({task.tracking_id}) on resource "
            f"application({RESOURCE_IDS[PLM_TYPE]})"
        )

    def _row(self, task: _Task) -> dict[str, Any]:
        elapsed = time.monotonic() - task.started
        duration = self.options.task_seconds
        if elapsed < duration * 0.2:
            status = "n"
        elif elapsed < duration:
            status = "r"
        else:  # done once PLM carried it out (`settle`): success is never shown before
            status = "f" if task.fail else ("s" if task.applied else "r")
        output = self.options.failure_output if status == "f" else ""
        return {
            "task_id": task.task_id,
            "name": self._name(task),
            "status": status,
            "startedAt": int(time.time() - elapsed),
            "method": "APSAsyncOperations",
            "location": "SCREF:JMSQueue:0",
            "mutex": "PL:8",
            "actionOutput": output,
            "orderId": None,
            "subscription_id": None,
        }
