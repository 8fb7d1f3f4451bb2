"""The grid trigger takes its row locks in one order (by status, then visibility).

An update moves a report from one (status, visibility) row set to another: subtract from the old,
add to the new. Two officers moving two reports in opposite directions at once (say one answer
approved while another report is reopened) took the same coarse-cell rows in opposite orders and
could deadlock; applying the two halves in a fixed order rules that out.
"""

import importlib

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION incidents_report_grid_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.status, NEW.is_public) < (OLD.status, OLD.is_public) THEN
        PERFORM incidents_report_grid_apply(NEW.location, NEW.status, NEW.is_public, NEW.id, 1);
        PERFORM incidents_report_grid_apply(OLD.location, OLD.status, OLD.is_public, OLD.id, -1);
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM incidents_report_grid_apply(OLD.location, OLD.status, OLD.is_public, OLD.id, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM incidents_report_grid_apply(NEW.location, NEW.status, NEW.is_public, NEW.id, 1);
    END IF;
    RETURN NULL;
END $$;
"""

REVERSE = importlib.import_module("incidents.migrations.0004_report_grid").TRIGGER_FUNCTION


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_report_grid")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
