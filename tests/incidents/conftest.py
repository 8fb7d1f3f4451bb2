"""Staff of the demo ward D25450's agency, for the workflow tests."""

from __future__ import annotations

import pytest

from accounts.models import User
from agencies.models import Role
from tests.factories import staff_make

WARD = "D25450"
WARD_AGENCY = "ubnd-d25450"


@pytest.fixture
def officer(demo: None) -> User:
    return staff_make("canbo", WARD_AGENCY, Role.OFFICER)


@pytest.fixture
def leader(demo: None) -> User:
    return staff_make("lanhdao", WARD_AGENCY, Role.LEADER)
