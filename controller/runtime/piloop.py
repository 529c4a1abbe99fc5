"""A PI controller with output limits and anti-windup, tuned for a line with dead time.

Tuning follows the SIMC rules for a first-order process with dead time (Skogestad, "Simple
analytic rules for model reduction and PID controller tuning", J. Process Control 13
(2003) 291–309, eqs. 13–14): for gain ``k``, time constant ``τ1`` and dead time ``θ``,

    Kc = τ1 / (k·(τc + θ)),     τI = min(τ1, 4·(τc + θ))

with the closed-loop time constant ``τc = θ`` (tight) or larger (smoother, more robust to
a gain that is not known well, as a titration curve's). Anti-windup by conditional
integration: the integral does not move while the output sits at a limit and the error
would push it further. The caller does not step the loop at all while the probes cannot
yet see the dose (the transport lag after injection starts).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PI", "simc"]


def simc(k: float, tau1_s: float, theta_s: float, tauc_s: float) -> tuple[float, float]:
    """(Kc, τI in s) by SIMC (Skogestad 2003, eqs. 13–14); ``k`` in output unit per input unit."""
    if k <= 0 or tau1_s <= 0 or theta_s < 0 or tauc_s <= 0:
        raise ValueError(f"SIMC needs k, τ1, τc > 0 and θ ≥ 0: {k}, {tau1_s}, {theta_s}, {tauc_s}")
    kc = tau1_s / (k * (tauc_s + theta_s))
    ti = min(tau1_s, 4 * (tauc_s + theta_s))
    return kc, ti


@dataclass(slots=True)
class PI:
    """``u = u0 + Kc·(e + ∫e dt / τI)`` clamped to ``[u_min, u_max]``."""

    u0: float  # the feed-forward output at zero error
    u_min: float
    u_max: float
    integral: float = 0.0  # ∫ e dt (error unit × s)
    u: float = 0.0

    def step(self, error: float, dt_s: float, kc: float, ti_s: float) -> float:
        """The output after an error of ``error`` for ``dt_s`` seconds."""
        unclamped = self.u0 + kc * (error + (self.integral + error * dt_s) / ti_s)
        pushing_out = (unclamped > self.u_max and error * kc > 0) or (
            unclamped < self.u_min and error * kc < 0
        )
        if not pushing_out:
            self.integral += error * dt_s
        self.u = min(self.u_max, max(self.u_min, self.u0 + kc * (error + self.integral / ti_s)))
        return self.u

    @property
    def saturated(self) -> bool:
        return self.u >= self.u_max or self.u <= self.u_min
