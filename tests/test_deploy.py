"""The documented deployment (deploy/systemd): systemd restarts a process that dies, for ever."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

UNITS = sorted((Path(settings.BASE_DIR) / "deploy" / "systemd").glob("*.service"))


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment, method-assign]  # systemd's keys are case-sensitive
    parser.read(path)
    return parser


@pytest.mark.parametrize("path", UNITS, ids=[path.name for path in UNITS])
def test_a_unit_restarts_its_process_without_giving_up(path: Path) -> None:
    unit = _unit(path)
    assert unit["Service"]["Restart"] == "always"
    # In [Unit]: systemd reads the start limit only there (in [Service] it is ignored, and the default
    # limit, 5 starts in 10 s, would leave the service down after a burst of restarts).
    assert unit["Unit"]["StartLimitIntervalSec"] == "0"
    assert "StartLimitIntervalSec" not in unit["Service"]
    assert "Requires" not in unit["Unit"] and "BindsTo" not in unit["Unit"]  # a database restart stops neither


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_reads_every_key_of_the_units() -> None:
    result = subprocess.run(
        ["systemd-analyze", "verify", *map(str, UNITS)], capture_output=True, text=True, check=False, timeout=60
    )
    # The paths of the server (/srv/geo) do not exist here; every other complaint is a mistake.
    complaints = [line for line in result.stderr.splitlines() if "is not executable" not in line]
    assert complaints == []
