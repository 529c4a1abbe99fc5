"""Site learning: the jobs that train :mod:`models.learning` on this box's own data.

Each job reads the store (runs, readings, balance days, samples), trains or updates one
learned model per zone or probe, persists it under the data directory's ``models/`` and
raises alarms through the store's events. Training runs in the scheduler's pool, never
on the control loop. With too little data, or a model that fails to train or load, the
plain rules stay in charge and an event says so.

Imports the store, runtime's types and models; ``agronomy`` and ``daemon`` use it,
``runtime`` never does.
"""
