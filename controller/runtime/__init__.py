"""The box's runtime: everything between the Modbus buses and the decision to water.

``fieldio`` (one bus owner per bus), ``live`` (the current value of every point),
``poller`` and ``telemetry`` (readings into live state and the store), ``outputs`` (leased
relay outputs), ``readback`` (every output's coil read back while anything runs),
``sequencer`` (the run lifecycle: valve, master, pump, fertigation phases),
composing ``metering`` (water per run) and ``dosing`` (the injector), over ``runs`` (what
they share), ``safety`` (the supervisor, with authority to close everything), ``headworks``
(backflush, pump hours), ``failsafe`` (all off and verified at start), ``sdnotify`` (systemd
readiness and watchdog).

May import: drivers, controller.config, controller.store, controller.clock. Never agronomy,
office, simulation, cli or web.
"""
