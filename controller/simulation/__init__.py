"""Season simulation: scenarios, the simulated field and the daemon's jobs on a virtual clock.

``harness`` serves a site's devices as simulated Modbus servers on loopback; ``season`` drives
the daemon's own jobs through a scenario's season against that field; ``demo`` is the living
demo (``qanat demo``: the past at agronomy fidelity, then the full stack on an accelerated
clock); ``scenarios/`` holds the scenarios shipped in the package.
May import: every room but cli; drivers.sim.
"""
