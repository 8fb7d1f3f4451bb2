"""Report.first_answered_at: when its first answer was published, kept by a trigger on answers.

The statistics measure answer times and the on-time share over every counted report; looking the
first answer up report by report (a LATERAL join over answers) made each aggregate take a second at
a few hundred thousand reports. The trigger recomputes the column for the report(s) an answer
insert, delete, publication or move touches, in the same transaction.
"""

from django.db import migrations, models

SQL = """
CREATE FUNCTION incidents_report_first_answered(report bigint) RETURNS void LANGUAGE sql AS $$
    UPDATE incidents_report r SET first_answered_at = a.first
    FROM (SELECT min(published_at) AS first FROM incidents_answer WHERE report_id = report) a
    WHERE r.id = report AND r.first_answered_at IS DISTINCT FROM a.first
$$;

CREATE FUNCTION incidents_answer_first_answered_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM incidents_report_first_answered(OLD.report_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.report_id <> OLD.report_id) THEN
        PERFORM incidents_report_first_answered(NEW.report_id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER answer_first_answered AFTER INSERT OR DELETE OR UPDATE OF published_at, report_id
ON incidents_answer FOR EACH ROW EXECUTE FUNCTION incidents_answer_first_answered_trigger();

UPDATE incidents_report r SET first_answered_at = a.first
FROM (
    SELECT report_id, min(published_at) AS first FROM incidents_answer
    WHERE published_at IS NOT NULL GROUP BY report_id
) a
WHERE r.id = a.report_id;
"""

REVERSE = """
DROP TRIGGER IF EXISTS answer_first_answered ON incidents_answer;
DROP FUNCTION IF EXISTS incidents_answer_first_answered_trigger();
DROP FUNCTION IF EXISTS incidents_report_first_answered(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [("incidents", "0005_report_grid_lock_order")]

    operations = [
        migrations.AddField(
            model_name="report",
            name="first_answered_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunSQL(SQL, REVERSE),
    ]
