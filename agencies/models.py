"""The organisation chart: agencies (cơ quan / đơn vị xử lý) and the roles staff hold in them.

Moved here from incidents (Agency) and accounts (Role, StaffRole) without moving a row: the tables
keep their names (Meta.db_table), see migrations 0001.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from boundaries.models import AdminUnit, Level


class Agency(models.Model):
    """An agency (cơ quan / đơn vị xử lý) with a jurisdiction of admin units.

    Routing picks the most specific agency whose jurisdiction covers the pin's
    units and whose categories (if any) include the report's category.
    """

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    jurisdiction = models.ManyToManyField(
        AdminUnit, related_name="agencies", blank=True, db_table="incidents_agency_jurisdiction"
    )
    # Named by string: the categories are the reports' (incidents), a floor above; no import.
    categories = models.ManyToManyField(
        "incidents.Category",
        related_name="agencies",
        blank=True,
        help_text="Empty: every category.",
        db_table="incidents_agency_categories",
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    answer_requires_approval = models.BooleanField(
        default=True, help_text="An officer's answer goes public only after a leader approves it."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "incidents_agency"
        ordering = ["level", "name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="agency_level_1_3"),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OFFICER = "officer", "Cán bộ xử lý"
    LEADER = "leader", "Lãnh đạo, phê duyệt"
    ADMIN = "admin", "Quản trị cấp tỉnh"
    OPERATOR = "operator", "Tổng đài viên 1022"


class StaffRole(models.Model):
    """A role a staff user holds in an agency; it covers the agency's child agencies too."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_roles")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField(max_length=10, choices=Role.choices)
    # The province's simplest roster: whoever the leader (or an administrator) marks as on duty is told at
    # once, at any hour, of an urgent report for the agency.
    on_duty = models.BooleanField(
        "trực",
        default=False,
        db_default=False,
        help_text="Receives urgent reports for the agency by SMS and e-mail, at any hour.",
    )

    class Meta:
        db_table = "accounts_staffrole"
        constraints = [models.UniqueConstraint(fields=["user", "agency", "role"], name="staffrole_unique")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.agency}"
