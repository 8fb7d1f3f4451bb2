"""Scheduled upkeep of the map's grid, run by the procrastinate worker."""

from __future__ import annotations

from procrastinate.contrib.django import app

from .services import report_grid_compact


# Cron times are UTC: 20:30 is 03:30 in Vietnam, when hardly anyone reports. The name is the one the
# task had in incidents: queued jobs and the periodic schedule are stored under it.
@app.periodic(cron="30 20 * * *")
@app.task(
    name="incidents.tasks.compact_report_grid",
    queue="maintenance",
    queueing_lock="compact_report_grid",
    pass_context=False,
)
def compact_report_grid(timestamp: int) -> None:
    """Every night: rewrite the map's grid in key order (see report_grid_compact)."""
    report_grid_compact()
