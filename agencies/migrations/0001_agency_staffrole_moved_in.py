"""Agency (from incidents) and StaffRole (from accounts) join agencies/, keeping their tables and rows."""


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (model, old app_label, new app_label)
MOVES = [("agency", "incidents", "agencies"), ("staffrole", "accounts", "agencies")]


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
        ('boundaries', '0001_admin_units'),
        ('incidents', '0010_captcha_expiration_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The table stays where it is: only Django's picture of the models changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Agency',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(unique=True)),
                        ('name', models.CharField(max_length=200)),
                        ('level', models.PositiveSmallIntegerField(choices=[(1, 'Tỉnh / thành phố'), (2, 'Quận / huyện / thị xã'), (3, 'Phường / xã / thị trấn')])),
                        ('email', models.EmailField(blank=True, max_length=254)),
                        ('phone', models.CharField(blank=True, max_length=30)),
                        ('answer_requires_approval', models.BooleanField(default=True, help_text="An officer's answer goes public only after a leader approves it.")),
                        ('is_active', models.BooleanField(default=True)),
                        ('categories', models.ManyToManyField(blank=True, db_table='incidents_agency_categories', help_text='Empty: every category.', related_name='agencies', to='incidents.category')),
                        ('jurisdiction', models.ManyToManyField(blank=True, db_table='incidents_agency_jurisdiction', related_name='agencies', to='boundaries.adminunit')),
                        ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='agencies.agency')),
                    ],
                    options={
                        'verbose_name_plural': 'agencies',
                        'db_table': 'incidents_agency',
                        'ordering': ['level', 'name'],
                    },
                ),
                migrations.CreateModel(
                    name='StaffRole',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('officer', 'Cán bộ xử lý'), ('leader', 'Lãnh đạo, phê duyệt'), ('admin', 'Quản trị cấp tỉnh'), ('operator', 'Tổng đài viên 1022')], max_length=10)),
                        ('agency', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='staff_roles', to='agencies.agency')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='staff_roles', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'accounts_staffrole',
                    },
                ),
                migrations.AddConstraint(
                    model_name='agency',
                    constraint=models.CheckConstraint(condition=models.Q(('level__gte', 1), ('level__lte', 3)), name='agency_level_1_3'),
                ),
                migrations.AddConstraint(
                    model_name='staffrole',
                    constraint=models.UniqueConstraint(fields=('user', 'agency', 'role'), name='staffrole_unique'),
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
