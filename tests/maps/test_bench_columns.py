"""The map benchmark writes a million reports with one raw INSERT (bench/maps.py): a required column added
to reports later must have a database default, or `make bench` breaks (it did once: Report.urgent)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.db.models import NOT_PROVIDED

from incidents.models import Report


def test_every_required_report_column_the_benchmark_leaves_out_has_a_database_default() -> None:
    source = (Path(settings.BASE_DIR) / "bench" / "maps.py").read_text()
    match = re.search(r"INSERT INTO incidents_report \((.*?)\)\s*SELECT", source, re.S)
    assert match is not None, "bench/maps.py no longer inserts reports by column list"
    listed = {column.strip() for column in match.group(1).split(",")}
    assert {"code", "location", "status"} <= listed

    missing = [
        field.column
        for field in Report._meta.concrete_fields
        if not field.null and not field.primary_key and field.column not in listed and field.db_default is NOT_PROVIDED
    ]

    assert missing == []
