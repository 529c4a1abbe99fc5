"""The API's route table with the lowest role of each route, and the tokens' names."""

from __future__ import annotations

API = "/api/v1"

# The whole API, with the lowest role each route admits. The walk below checks
# the app against this table both ways, so a new route must be added here.
ROUTES = {
    ("GET", "/status"): "viewer",
    ("GET", "/zones"): "viewer",
    ("GET", "/zones/{zone}"): "viewer",
    ("GET", "/zones/{zone}/water-balance"): "viewer",
    ("GET", "/zones/{zone}/canopy"): "viewer",
    ("GET", "/zones/{zone}/canopy/photo"): "viewer",
    ("POST", "/zones/{zone}/canopy/photo"): "technician",
    ("GET", "/devices"): "viewer",
    ("GET", "/runs"): "viewer",
    ("GET", "/decisions"): "viewer",
    ("GET", "/alarms"): "viewer",
    ("POST", "/alarms/{alarm_id}/ack"): "technician",
    ("POST", "/zones/{zone}/start"): "technician",
    ("POST", "/zones/{zone}/stop"): "technician",
    ("POST", "/stop-all"): "technician",
    ("POST", "/pause"): "technician",
    ("POST", "/resume"): "technician",
    ("POST", "/forecast"): "technician",
    ("GET", "/export/{table}"): "viewer",
    ("POST", "/export/{table}/ack"): "viewer",  # the office's reader token acknowledges
    ("GET", "/report"): "viewer",
    ("GET", "/savings"): "viewer",
    ("GET", "/probes"): "viewer",
    ("GET", "/probes/{probe}/samples"): "viewer",
    ("POST", "/probes/{probe}/samples"): "technician",
    ("GET", "/soil/{zone}"): "viewer",
    ("GET", "/zones/{zone}/crop"): "viewer",
    ("GET", "/zones/{zone}/observations"): "viewer",
    ("GET", "/zones/{zone}/observations/{observation_id}/photo"): "viewer",
    ("POST", "/zones/{zone}/observations"): "technician",
    ("POST", "/zones/{zone}/observations/{observation_id}/delete"): "technician",
    ("POST", "/soil/{zone}/approve"): "admin",
    ("GET", "/soil/{zone}/dry-down"): "viewer",
    ("POST", "/soil/{zone}/dry-down"): "admin",
    ("POST", "/soil/{zone}/dry-down/withdraw"): "admin",
}

# the name of each role's token (the ``tokens`` fixture in tests/web/conftest.py)
TOKEN_NAMES = {"admin": "ada", "technician": "tian", "viewer": "wei"}
