from django.db import migrations

# unaccent() is only STABLE, so it cannot appear in an index; this IMMUTABLE
# wrapper names the dictionary explicitly, which makes it safe to index.
FUNCTION = """
CREATE OR REPLACE FUNCTION f_unaccent(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;
"""


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_reports"), ("boundaries", "0001_admin_units")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS f_unaccent(text);"),
        migrations.RunSQL(
            "CREATE INDEX report_text_trgm ON incidents_report USING gin "
            "(f_unaccent(lower(title || ' ' || description || ' ' || address)) gin_trgm_ops);",
            "DROP INDEX IF EXISTS report_text_trgm;",
        ),
        migrations.RunSQL(
            "CREATE INDEX adminunit_name_trgm ON boundaries_adminunit USING gin (f_unaccent(lower(name)) gin_trgm_ops);",
            "DROP INDEX IF EXISTS adminunit_name_trgm;",
        ),
    ]
