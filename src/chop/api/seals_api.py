"""API operations: filled in by the area's work."""

from __future__ import annotations

from ninja import Router

router = Router()
