"""Pre-aggregated grid of reports per power-of-two cell size, kept current by a trigger.

Level L cells are WORLD / 2**L metres square in EPSG:3857, anchored at the origin, so the
cluster API (64-pixel cells: level zoom + 2), the vector tiles (32-pixel cells: level
zoom + 3) and the officers' heatmap read a few hundred rows instead of aggregating up to a
million points per request. Each row keeps the count, the sums of longitude and latitude
(the centroid) and the sum of ids (the report itself when the count is 1) per status and
visibility (the public map reads the public rows, the officers' heatmap all of them);
sums, unlike minima, can be kept exact under removal. The trigger applies every change of a
report's location, status or visibility in the same transaction, so a new report is on the
map as soon as it is committed. Bulk loads may disable triggers and call
incidents_report_grid_rebuild() afterwards.
"""

from django.db import migrations

WORLD = "40075016.6855785"
MIN_LEVEL = 2
MAX_LEVEL = 17


def grid_functions_sql(max_level: int) -> str:
    """The functions that add a report to the grid and rebuild it, for levels MIN_LEVEL..max_level."""
    return f"""
CREATE OR REPLACE FUNCTION incidents_report_grid_apply(loc geometry, st text, pub boolean, rid bigint, sign integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    p geometry := ST_Transform(loc, 3857);
BEGIN
    INSERT INTO incidents_report_grid AS c (level, gx, gy, status, public, n, sum_lng, sum_lat, sum_id)
    SELECT l, floor(ST_X(p) / ({WORLD} / 2 ^ l))::integer, floor(ST_Y(p) / ({WORLD} / 2 ^ l))::integer,
           st, pub, sign, sign * ST_X(loc), sign * ST_Y(loc), sign * rid
    FROM generate_series({MIN_LEVEL}, {max_level}) AS l
    ON CONFLICT (level, gx, gy, status, public) DO UPDATE
    SET n = c.n + excluded.n, sum_lng = c.sum_lng + excluded.sum_lng,
        sum_lat = c.sum_lat + excluded.sum_lat, sum_id = c.sum_id + excluded.sum_id;
    IF sign < 0 THEN
        DELETE FROM incidents_report_grid c USING generate_series({MIN_LEVEL}, {max_level}) AS l
        WHERE c.level = l AND c.gx = floor(ST_X(p) / ({WORLD} / 2 ^ l))::integer
          AND c.gy = floor(ST_Y(p) / ({WORLD} / 2 ^ l))::integer AND c.status = st AND c.public = pub AND c.n <= 0;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION incidents_report_grid_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE incidents_report_grid;
    -- The finest level from the reports, each coarser one from the level below: a cell of level L
    -- is 2 x 2 cells of level L + 1, and (gx >> 1) = floor(gx / 2) = floor(x / (2 * size)) exactly.
    INSERT INTO incidents_report_grid (level, gx, gy, status, public, n, sum_lng, sum_lat, sum_id)
    SELECT {max_level}, floor(r.x / ({WORLD} / 2 ^ {max_level}))::integer,
           floor(r.y / ({WORLD} / 2 ^ {max_level}))::integer,
           r.status, r.is_public, count(*), sum(r.lng), sum(r.lat), sum(r.id)
    FROM (
        SELECT id, status, is_public, ST_X(location) AS lng, ST_Y(location) AS lat,
               ST_X(ST_Transform(location, 3857)) AS x, ST_Y(ST_Transform(location, 3857)) AS y
        FROM incidents_report
    ) r
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5;
    -- Each level written in key order: the rows of neighbouring cells share pages, so a map view
    -- reads a few pages instead of one per row.
    FOR l IN REVERSE {max_level} - 1..{MIN_LEVEL} LOOP
        INSERT INTO incidents_report_grid (level, gx, gy, status, public, n, sum_lng, sum_lat, sum_id)
        SELECT l, gx >> 1, gy >> 1, status, public, sum(n), sum(sum_lng), sum(sum_lat), sum(sum_id)
        FROM incidents_report_grid WHERE level = l + 1
        GROUP BY 2, 3, 4, 5
        ORDER BY 2, 3, 4, 5;
    END LOOP;
END $$;
"""

# The trigger function as first written (0005 orders its locks; its reverse restores this).
TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION incidents_report_grid_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM incidents_report_grid_apply(OLD.location, OLD.status, OLD.is_public, OLD.id, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM incidents_report_grid_apply(NEW.location, NEW.status, NEW.is_public, NEW.id, 1);
    END IF;
    RETURN NULL;
END $$;
"""

SQL = f"""
CREATE TABLE incidents_report_grid (
    level smallint NOT NULL,
    gx integer NOT NULL,
    gy integer NOT NULL,
    status varchar(20) NOT NULL,
    public boolean NOT NULL,
    n integer NOT NULL,
    sum_lng double precision NOT NULL,
    sum_lat double precision NOT NULL,
    sum_id bigint NOT NULL,
    PRIMARY KEY (level, gx, gy, status, public)
);
{grid_functions_sql(MAX_LEVEL)}
{TRIGGER_FUNCTION}
CREATE FUNCTION incidents_report_grid_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE incidents_report_grid;
    RETURN NULL;
END $$;

CREATE TRIGGER report_grid_rows AFTER INSERT OR DELETE ON incidents_report
FOR EACH ROW EXECUTE FUNCTION incidents_report_grid_trigger();

-- Most updates (answers, deadlines, counters) leave the grid alone.
CREATE TRIGGER report_grid_changes AFTER UPDATE OF location, status, is_public ON incidents_report
FOR EACH ROW WHEN (
    OLD.status IS DISTINCT FROM NEW.status OR OLD.is_public IS DISTINCT FROM NEW.is_public
    OR OLD.location IS DISTINCT FROM NEW.location
) EXECUTE FUNCTION incidents_report_grid_trigger();

CREATE TRIGGER report_grid_truncate AFTER TRUNCATE ON incidents_report
FOR EACH STATEMENT EXECUTE FUNCTION incidents_report_grid_truncate();

SELECT incidents_report_grid_rebuild();
"""

REVERSE = """
DROP TRIGGER IF EXISTS report_grid_truncate ON incidents_report;
DROP TRIGGER IF EXISTS report_grid_changes ON incidents_report;
DROP TRIGGER IF EXISTS report_grid_rows ON incidents_report;
DROP FUNCTION IF EXISTS incidents_report_grid_rebuild();
DROP FUNCTION IF EXISTS incidents_report_grid_truncate();
DROP FUNCTION IF EXISTS incidents_report_grid_trigger();
DROP FUNCTION IF EXISTS incidents_report_grid_apply(geometry, text, boolean, bigint, integer);
DROP TABLE IF EXISTS incidents_report_grid;
"""


class Migration(migrations.Migration):
    dependencies = [("incidents", "0003_text_search")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
