"""People who sign in (citizens and staff) and the roles staff hold in agencies."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


class User(AbstractUser):
    """A citizen or staff account. Citizens sign in with their phone (E.164) or e-mail."""

    phone = models.CharField(max_length=20, null=True, blank=True, unique=True, help_text="E.164, e.g. +84912345678")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(phone__isnull=True) | Q(phone__startswith="+"), name="user_phone_e164"),
        ]


class Role(models.TextChoices):
    OFFICER = "officer", "Cán bộ xử lý"
    LEADER = "leader", "Lãnh đạo, phê duyệt"
    ADMIN = "admin", "Quản trị cấp tỉnh"
    OPERATOR = "operator", "Tổng đài viên 1022"


class StaffRole(models.Model):
    """A role a staff user holds in an agency; it covers the agency's child agencies too."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_roles")
    agency = models.ForeignKey("incidents.Agency", on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField(max_length=10, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "agency", "role"], name="staffrole_unique")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.agency}"
