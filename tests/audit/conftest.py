"""The audit tests sign in and fail to sign in: the lockout counters must not leak between tests."""

from tests.accounts.conftest import _fresh_axes_cache

__all__ = ["_fresh_axes_cache"]
