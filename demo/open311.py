"""The demo's Open311 client: one API key everybody knows (README), for trying POST /open311/v2/requests."""

from __future__ import annotations

from channels.open311.models import ApiClient
from channels.open311.services import KEY_PREFIX_LENGTH, api_client_issue, key_hash

DEMO_KEY = "demo-open311-key"


def demo_open311_load() -> int:
    """The demo client with key DEMO_KEY, created once and made active again on every load."""
    client = ApiClient.objects.filter(key_prefix=DEMO_KEY[:KEY_PREFIX_LENGTH]).first()
    if client is None:
        api_client_issue(name="Ứng dụng thử nghiệm Open311 (demo)", contact="demo@demo.tayninh.gov.vn", key=DEMO_KEY)
    else:
        ApiClient.objects.filter(pk=client.pk).update(key_hash=key_hash(DEMO_KEY), is_active=True, revoked_at=None)
    return 1
