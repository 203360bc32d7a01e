"""The outputs: what puts findings in front of people (report, API, dashboard, exports)."""
