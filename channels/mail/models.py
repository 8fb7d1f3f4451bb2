"""Every message the intake mailbox held, once: filed as a report, skipped (bounce, auto-reply, loop) or
refused (answered with what is missing)."""

from __future__ import annotations

from django.db import models


class InboundMail(models.Model):
    class Outcome(models.TextChoices):
        FILED = "filed", "Đã tạo phản ánh"
        SKIPPED = "skipped", "Bỏ qua (thư tự động, thư báo lỗi, vòng lặp)"
        REFUSED = "refused", "Chưa tạo phản ánh (đã trả lời người gửi)"
        # A reply in the thread of a report filed without a place, carrying the place.
        LOCATED = "located", "Bổ sung vị trí cho phản ánh"

    # The Message-ID, or for a message without one "sha256:" and a hash of its headers: a message is taken
    # once, however many times the mailbox shows it (a crash before it was flagged, a copy appended again).
    key = models.CharField("khóa thư", max_length=998, unique=True)
    from_address = models.CharField("người gửi", max_length=254, blank=True)
    subject = models.CharField("tiêu đề", max_length=300, blank=True)
    outcome = models.CharField("kết quả", max_length=10, choices=Outcome.choices)
    reason = models.TextField("lý do", blank=True)
    report = models.ForeignKey(
        "incidents.Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="phản ánh"
    )
    created_at = models.DateTimeField("thời điểm xử lý", auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "thư đã nhận"
        verbose_name_plural = "thư đã nhận"

    def __str__(self) -> str:
        return f"{self.from_address}: {self.subject}"
