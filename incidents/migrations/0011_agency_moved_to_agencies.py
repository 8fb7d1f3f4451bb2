"""Agency leaves incidents for agencies/: the reports' foreign keys point there, state only; the tables stay."""


import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_staffrole_auditevent_moved_out'),
        ('agencies', '0001_agency_staffrole_moved_in'),
        ('alerts', '0003_alert_agency_in_agencies'),
        ('incidents', '0010_captcha_expiration_index'),
    ]

    operations = [
        # The table stays where it is: only Django's picture of the models changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='reportevent',
                    name='agency',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='agencies.agency'),
                ),
                migrations.AlterField(
                    model_name='answer',
                    name='agency',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='agencies.agency'),
                ),
                migrations.AlterField(
                    model_name='report',
                    name='agency',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reports', to='agencies.agency'),
                ),
                migrations.DeleteModel(
                    name='Agency',
                ),
            ],
        ),
    ]
