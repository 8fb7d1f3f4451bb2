"""Reports sent before the consent choice was asked keep their reporter's name confidential.

The old form ticked "publish" and left "keep my details confidential" unticked for the sender, so a
shown name on those reports records a default, not a choice. Without a recorded choice the name is
not public (seed 004's rule, Vietnam's personal-data decree). The report's content stays as it was.
"""

from django.db import migrations

HIDE = "UPDATE incidents_report SET confidential = true WHERE consent_channel = 'unknown' AND NOT confidential"


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0008_report_consent"),
    ]

    # Nothing to undo: which names were shown before is not worth restoring against the person's privacy.
    operations = [migrations.RunSQL(HIDE, reverse_sql=migrations.RunSQL.noop)]
