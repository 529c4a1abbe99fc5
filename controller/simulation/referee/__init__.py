"""The referee: judges irrigation strategies by a field truth the controller does not share.

``aquacrop`` wraps FAO's AquaCrop (AquaCrop-OSPy), stepped one day at a time with the water a
strategy delivered, calibrated to seed maize in Zhangye (parameters and sources in
docs/simulation.md). ``practices`` builds the surveyed and published practices the controller
is compared against (border irrigation as surveyed, its upper bound, good drip practice, and
an oracle on the truth itself). ``evaluate`` runs a strategy over weather years under the same
accounting for all: the same spring soil water, water counted over the year (winter and
leaching included), the storage change reported and charged.

Simulation only: it needs the ``sim`` extra (aquacrop, pandas) and is never imported by the
daemon on a box (the import-linter contracts in pyproject.toml hold that).
"""
