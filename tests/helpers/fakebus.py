"""A bus at the seam for the runtime's unit tests: every write recorded, chosen points failing.

The real :class:`controller.runtime.outputs.Outputs`, supervisor and sequencer run over it
without Modbus, so a test can look at exactly what was written, in what order.
"""

from __future__ import annotations

from drivers.errors import DeviceError, DriverError, VerifyMismatch


class FakeBus:
    """Records every write; a point in ``failing`` raises; one in ``welded`` reads back on
    after an off (:class:`VerifyMismatch`, a relay stuck on)."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, str, float]] = []
        self.failing: set[str] = set()
        self.forced: list[tuple[str, str, float]] = []  # writes past the device's back-off
        self.welded: set[str] = set()

    def _write(self, device: str, point: str, value: float) -> None:
        if f"{device}.{point}" in self.failing:
            raise DeviceError(device, "stuck")
        self.writes.append((device, point, value))

    def lease_output(self, device: str, point: str, seconds: float) -> None:
        self._write(device, point, 1)

    def output_off(self, device: str, point: str) -> None:
        self._write(device, point, 0)
        if f"{device}.{point}" in self.welded:
            raise VerifyMismatch(device, point, [0], [1])

    def outputs_off(self, device: str, points: list[str]) -> dict[str, DriverError]:
        failures: dict[str, DriverError] = {}
        for point in points:
            try:
                self.output_off(device, point)
            except DriverError as exc:
                failures[point] = exc
        return failures

    def write_point(
        self, device: str, point: str, value: float, *, verify: bool = True, force: bool = False
    ) -> None:
        self._write(device, point, value)
        if force:
            self.forced.append((device, point, value))


class SimpleFieldIO:
    def __init__(self, bus: FakeBus) -> None:
        self.bus = bus

    def bus_of(self, device: str) -> FakeBus:
        return self.bus
