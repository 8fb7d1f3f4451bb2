"""AuditEvent joins audit/ from accounts, keeping its table and rows."""


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (model, old app_label, new app_label)
MOVES = [("auditevent", "accounts", "audit")]


def _rename_content_types(apps, moves):
    # Admin history (LogEntry) and permissions point at content types: renaming their app_label
    # keeps them. A fresh database has none yet; post_migrate makes them under the new label.
    from django.contrib.contenttypes.models import ContentType as CurrentContentType

    content_types = apps.get_model("contenttypes", "ContentType")
    for model, old, new in moves:
        if not content_types.objects.filter(app_label=new, model=model).exists():
            content_types.objects.filter(app_label=old, model=model).update(app_label=new)
    CurrentContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    _rename_content_types(apps, MOVES)


def backwards(apps, schema_editor):
    _rename_content_types(apps, [(model, new, old) for model, old, new in MOVES])


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0005_otp_contact_purposes'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The table stays where it is: only Django's picture of the models changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('actor_label', models.CharField(blank=True, max_length=254, verbose_name='tên đăng nhập')),
                        ('action', models.CharField(db_index=True, help_text='Ví dụ: login, login_failed, report.answer.', max_length=60, verbose_name='hành động')),
                        ('object_type', models.CharField(blank=True, max_length=60, verbose_name='loại đối tượng')),
                        ('object_ref', models.CharField(blank=True, max_length=100, verbose_name='đối tượng')),
                        ('ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='địa chỉ IP')),
                        ('user_agent', models.CharField(blank=True, max_length=300, verbose_name='trình duyệt')),
                        ('details', models.JSONField(blank=True, default=dict, verbose_name='chi tiết')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='lúc')),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='người thực hiện')),
                    ],
                    options={
                        'verbose_name': 'nhật ký thao tác',
                        'verbose_name_plural': 'nhật ký thao tác',
                        'db_table': 'accounts_auditevent',
                        'ordering': ['-created_at'],
                        'indexes': [models.Index(fields=['actor', 'created_at'], name='auditevent_actor_created')],
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
