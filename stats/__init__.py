"""Statistics of reports: the selectors, the API, the page, its chart image and the CSV export (floor 7)."""
