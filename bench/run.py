"""`make bench`: every benchmark in one run; the last line printed is one JSON object."""

from __future__ import annotations

import json
import os

from bench.common import load_boundaries, log, setup_django


def main() -> None:
    # BENCH_ONLY=intake (or boundaries, maps, alerts, basemap, storm, national) runs one group, for working on it.
    only = os.environ.get("BENCH_ONLY", "")
    if only == "national":
        # Never part of the everyday run; on a database of its own, dropped afterwards (ten million reports).
        setup_django("bench_national")
        load_boundaries()
        from bench import national

        log("national: the map at one million reports, then at ten million")
        try:
            print(json.dumps(national.run(), sort_keys=True))
        finally:
            national.drop_database()
        return
    setup_django()
    load_boundaries()
    from bench import boundaries, intake

    figures: dict[str, float] = {}
    if only in ("", "boundaries"):
        log("boundaries: point lookup")
        figures.update(boundaries.run())
    if only in ("", "intake"):
        log("reports: intake over HTTP")
        figures.update(intake.run(boundaries.random_points_in_vietnam(5000, seed=7)))
    if only in ("", "maps"):
        # After intake, which empties the reports table: the map reports are loaded again then.
        from bench import maps

        log("maps: clusters, tiles and heatmap over a million reports")
        figures.update(maps.run())
    if only in ("", "alerts"):
        from bench import alerts

        log("alerts: active-alert query and delivery fan-out")
        figures.update(alerts.run())
    if only in ("", "basemap"):
        from bench import basemap

        log("basemap: our own vector tiles over the demo extract")
        figures.update(basemap.run())
    if only in ("", "storm"):
        from bench import storm

        log("storm: a warning's fan-out while 500 clients poll the active warnings")
        figures.update(storm.run())
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
