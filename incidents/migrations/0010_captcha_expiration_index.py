"""An index on the captcha store's expiration: every captcha check deletes the expired captchas first
(django-simple-captcha's CaptchaStore.remove_expired), which without it scans the whole table."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0009_confidential_without_recorded_choice"),
        ("captcha", "0002_alter_captchastore_id"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS captcha_captchastore_expiration_idx ON captcha_captchastore (expiration)",
            reverse_sql="DROP INDEX IF EXISTS captcha_captchastore_expiration_idx",
        ),
    ]
