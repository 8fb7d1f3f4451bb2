"""API clients of the Open311 GeoReport v2 endpoint and the requests they filed.

A key is shown once when issued and stored only as its SHA-256 (a key is 32 random bytes, so a plain
hash cannot be guessed back); its first characters (the prefix) find the row, and the hash is compared
in constant time.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.models import Report


class ApiClient(models.Model):
    name = models.CharField(max_length=120, help_text="Who runs the client (an app, a city dashboard).")
    contact = models.CharField(max_length=200, blank=True, help_text="E-mail or phone of the person responsible.")
    key_prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(default=True, help_text="Off: the key is revoked (403).")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("ứng dụng Open311")
        verbose_name_plural = _("ứng dụng Open311")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


class Open311Request(models.Model):
    """Which client filed a report through Open311, and what it sent that the report has no place for.

    None of it is public: device and account ids and the media link are for staff (the admin).
    """

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="open311")
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="requests")
    device_id = models.CharField(max_length=200, blank=True)
    account_id = models.CharField(max_length=200, blank=True)
    # The client's media_url, kept as a link and never fetched by the server (see README, Open311).
    media_url = models.URLField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("yêu cầu Open311")
        verbose_name_plural = _("yêu cầu Open311")

    def __str__(self) -> str:
        return f"{self.report_id} ← {self.client_id}"
