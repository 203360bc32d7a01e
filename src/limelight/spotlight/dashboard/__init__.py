"""The web dashboard: server-rendered pages (Jinja2 + htmx) over the API's query functions.

Every asset is vendored under ``static/`` (htmx, and graphology + sigma bundled into one
file by ``scripts/dashboard/build.sh``), so the dashboard works without a network.
"""

from __future__ import annotations

from limelight.spotlight.dashboard._pages import mount_dashboard

__all__ = ["mount_dashboard"]
