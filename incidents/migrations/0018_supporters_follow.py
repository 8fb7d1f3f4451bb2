"""Supporters heard of the answer before followers existed: each supporter's contact (or account) follows."""

from django.db import migrations


def supporters_follow(apps, schema_editor):  # type: ignore[no-untyped-def]
    ReportSupport = apps.get_model("incidents", "ReportSupport")
    ReportFollower = apps.get_model("incidents", "ReportFollower")
    rows = []
    for support in ReportSupport.objects.iterator():
        if support.phone:
            rows.append(ReportFollower(report_id=support.report_id, user_id=support.user_id, channel="sms", address=support.phone))
        if support.email:
            address = support.email.lower()
            rows.append(ReportFollower(report_id=support.report_id, user_id=support.user_id, channel="email", address=address))
        if not support.phone and not support.email and support.user_id:
            rows.append(ReportFollower(report_id=support.report_id, user_id=support.user_id))
    ReportFollower.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0017_report_followers")]

    operations = [migrations.RunPython(supporters_follow, migrations.RunPython.noop)]
