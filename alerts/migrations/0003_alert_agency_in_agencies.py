"""An alert's agency is agencies.Agency now: state only, the foreign key and its table stay."""


import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('agencies', '0001_agency_staffrole_moved_in'),
        ('alerts', '0002_delivery_unchecked_keys'),
    ]

    operations = [
        # The table stays where it is: only Django's picture of the models changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='alert',
                    name='agency',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='alerts', to='agencies.agency', verbose_name='cơ quan phát hành'),
                ),
            ],
        ),
    ]
