"""`make bench`: every benchmark in one run; the last line printed is one JSON object."""

from __future__ import annotations

import json

from bench.common import load_boundaries, log, setup_django


def main() -> None:
    setup_django()
    load_boundaries()
    from bench import boundaries, intake

    figures: dict[str, float] = {}
    log("boundaries: point lookup")
    figures.update(boundaries.run())
    log("reports: intake over HTTP")
    figures.update(intake.run(boundaries.random_points_in_vietnam(5000, seed=7)))
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
