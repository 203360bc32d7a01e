"""The dashboard's pages (stub)."""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["mount_dashboard"]


def mount_dashboard(app: FastAPI) -> None:
    """Add the dashboard's pages and static files to the app."""
