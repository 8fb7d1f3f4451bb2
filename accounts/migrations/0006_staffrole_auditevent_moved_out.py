"""StaffRole and AuditEvent leave accounts (for agencies/ and audit/): state only, the tables stay."""


from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0001_auditevent_moved_in'),
        ('agencies', '0001_agency_staffrole_moved_in'),
        ('accounts', '0005_otp_contact_purposes'),
    ]

    operations = [
        # The table stays where it is: only Django's picture of the models changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='staffrole',
                    name='agency',
                ),
                migrations.RemoveField(
                    model_name='staffrole',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='AuditEvent',
                ),
                migrations.DeleteModel(
                    name='StaffRole',
                ),
            ],
        ),
    ]
