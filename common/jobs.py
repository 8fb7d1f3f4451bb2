"""Deferring background jobs by task name, so a service never imports a `tasks` module.

`tasks.py` modules import services (a task is a thin call into one); services defer jobs
through here by the task's registered name, and the import graph keeps no cycle.
Jobs are written on Django's connection: they commit or roll back with the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from procrastinate.contrib.django import app


def job_defer(*, task: str, **arguments: Any) -> int:
    """Queue one job of the registered task `task`; its id. An unknown name raises TaskNotFound."""
    return app.configure_task(task, allow_unknown=False).defer(**arguments)


def jobs_defer(*, task: str, arguments: Iterable[dict[str, Any]]) -> list[int]:
    """Queue many jobs of one task in one statement; their ids."""
    return app.configure_task(task, allow_unknown=False).batch_defer(*arguments)
