"""The JSON API under ``/api/v1``."""

from fastapi import APIRouter

from web.api.routes import (
    alarms,
    crop,
    export,
    history,
    probes,
    report,
    savings,
    site,
    soil,
    zones,
)

__all__ = ["API_PREFIX", "api_router"]

API_PREFIX = "/api/v1"

api_router = APIRouter(prefix=API_PREFIX)
for _module in (site, zones, history, alarms, savings, probes, soil, crop):
    api_router.include_router(_module.router)
api_router.include_router(export.router)
api_router.include_router(report.router)
