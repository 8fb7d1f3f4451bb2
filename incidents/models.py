"""Reference data for reports: categories (chuyên mục) and the agencies that handle them."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.core.validators import MinValueValidator
from django.db.models import Q

from boundaries.models import AdminUnit, Level


class Category(models.Model):
    """A report category (chuyên mục / lĩnh vực), managed by administrators."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # Working days to answer; empty means settings.REPORT_DEADLINE_DAYS.
    deadline_days = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    # Radius in which open reports of this category are offered as duplicates.
    duplicate_radius_m = models.PositiveIntegerField(default=250)
    sort_order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    """An agency (cơ quan / đơn vị xử lý) with a jurisdiction of admin units.

    Routing picks the most specific agency whose jurisdiction covers the pin's
    units and whose categories (if any) include the report's category.
    """

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    jurisdiction = models.ManyToManyField(AdminUnit, related_name="agencies", blank=True)
    categories = models.ManyToManyField(
        Category, related_name="agencies", blank=True, help_text="Empty: every category."
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["level", "name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="agency_level_1_3"),
        ]

    def __str__(self) -> str:
        return self.name
