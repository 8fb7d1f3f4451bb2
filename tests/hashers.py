"""A cheap password hasher for the suite, whose hashes any deployment still verifies."""

from __future__ import annotations

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2-SHA256 with few iterations: the same algorithm name, and the iteration count is written in
    each hash, so a server started with the real settings (a subprocess in a test) verifies it. The full
    count costs about a second per password on this machine, and the suite makes hundreds."""

    iterations = 1_000
