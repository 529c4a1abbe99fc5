"""Dosing: the injection phase of a fertigation run, and the fertilizer it injected.

A kg recipe doses its nutrients one after the other, each from the tank holding it, for
an equal share of the inject time, at ``L/h = kg / concentration_kg_m3 × 1000 / share_h``,
scaled by measured / nominal flow so the solution's concentration stays right. A
target-EC recipe doses from one tank, its rate moved by an integral controller on the EC
error. Injected kg come from the dosing pump's ``dosed_volume`` counter when it is read
fresh and moved, else from setpoint × time; :meth:`Dosing.fertilizer` says which.
Injection never starts or continues without water flow, and the backflush valve is kept
off while injecting.

A :class:`ChannelRecipe` names a recipe of ``[[fertigation.recipes]]`` instead: several
channels in ratio with EC and pH loops (:mod:`controller.runtime.channels`), driven through
:class:`controller.runtime.channeldrive.ChannelDrive`; a stop of its own (tank low, a
channel's max time, EC/pH off its setpoint, a stuck pH probe, a short delivery) is raised
through the supervisor as an injection trip, which cuts every dosing supply, and the run
goes on to its flush. Its record gives each channel's litres (the injector's counter when
read, else rate × time) and kg under ``channel:<name>``.

The prewet and flush phases around injection are the run lifecycle's
(:class:`controller.runtime.sequencer.Sequencer`); it calls :class:`Dosing` under its
lock, so this module is not thread-safe on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from controller.clock import Clock
from controller.config.site import FertigationConfig, SiteConfig, TankConfig, ZoneConfig
from controller.runtime.channeldrive import ChannelDrive
from controller.runtime.channels import ChannelDosing, plan_recipe
from controller.runtime.dosers import stopped_once_powered
from controller.runtime.fieldio import FieldIO
from controller.runtime.live import LiveState, control_max_age_s
from controller.runtime.outputs import Outputs
from controller.runtime.runs import Recipe, RecipeError, RunRefused
from controller.runtime.safety import Supervisor, stop_injector
from drivers.bus import Bus

__all__ = [
    "EC_GAIN_L_H_PER_M3_H_MS_CM_S",
    "NUTRIENTS",
    "SETPOINT_DEADBAND",
    "SETPOINT_DEADBAND_L_H",
    "SETPOINT_REFRESH_S",
    "ChannelRecipe",
    "Dosing",
    "RunDosing",
    "fertigation_of",
    "single_injector_of",
]

# The injector's rate is written when it moves by more than this share (or 0.1 L/h; flow
# meter noise alone moves a flow-paced rate by a few %), and
# re-asserted this often: a verified write every tick would take most of a 9600-baud bus.
SETPOINT_DEADBAND = 0.05
SETPOINT_DEADBAND_L_H = 0.1
SETPOINT_REFRESH_S = 30.0
EC_GAIN_L_H_PER_M3_H_MS_CM_S = 0.05  # integral gain of target-EC dosing
NUTRIENTS = ("N", "P2O5", "K2O")


def fertigation_of(site: SiteConfig) -> FertigationConfig:
    """The site's fertigation section; :class:`RecipeError` if it has none."""
    f = site.fertigation
    if f is None:
        raise RecipeError("the site has no fertigation section", "no_fertigation")
    return f


def single_injector_of(site: SiteConfig) -> str:
    """The device of ``fertigation.injector``; :class:`RecipeError` on a site dosing only
    through its channels (a kg or target-EC recipe has nothing to dose it)."""
    injector = fertigation_of(site).injector
    if injector is None:
        raise RecipeError(
            "the site has no single injector (fertigation.injector): name a recipe of "
            "[[fertigation.recipes]]",
            "no_single_injector",
        )
    return injector


@dataclass(frozen=True, slots=True)
class ChannelRecipe(Recipe):
    """A run's fertigation by the named ``[[fertigation.recipes]]`` entry."""

    name: str = ""


@dataclass(slots=True)
class _Dose:
    """One nutrient (or the EC target) from one tank."""

    key: str  # nutrient, or "ec" for a target-EC dose
    tank: TankConfig
    kg_target: float | None
    base_rate_l_h: float
    rate_l_h: float = 0.0  # wanted
    written_l_h: float = 0.0  # last rate written to the injector (what it doses)
    written_at: float = 0.0  # monotonic s of that write
    setpoint_l: float = 0.0  # ∫ written rate dt (L)
    counter_start_l: float | None = None
    counter_end_l: float | None = None

    @property
    def target_l(self) -> float | None:
        if self.kg_target is None:
            return None
        return self.kg_target / self.tank.concentration_kg_m3 * 1000


@dataclass(slots=True)
class RunDosing:
    """The dosing state of one fertigation run."""

    zone: ZoneConfig
    recipe: Recipe
    doses: list[_Dose]
    inject_s: float  # the inject phase's length (s)
    dose_index: int = 0
    dose_since: float = 0.0  # monotonic s the current dose began
    injecting: bool = False
    blocked: str = ""  # why the supervisor stopped injection, if it did
    channels: ChannelDosing | None = None  # a ChannelRecipe's dosing
    drive: ChannelDrive | None = None


class Dosing:
    """Plans a recipe's doses, drives the injector through the inject phase, counts kg."""

    def __init__(
        self,
        site: SiteConfig,
        outputs: Outputs,
        live: LiveState,
        fieldio: FieldIO,
        clock: Clock,
        supervisor: Supervisor,
    ) -> None:
        self.site = site
        self.outputs = outputs
        self.live = live
        self.fieldio = fieldio
        self.clock = clock
        self.supervisor = supervisor

    # ------------------------------------------------------------ before the run

    def plan(self, zone: ZoneConfig, recipe: Recipe, minutes: float) -> RunDosing:
        """The doses of ``recipe`` in a run of ``minutes``; :class:`RecipeError` if it cannot."""
        f = fertigation_of(self.site)
        inject_min = minutes - f.prewet_min - f.flush_min
        if inject_min <= 0:
            raise RecipeError(
                f"{minutes:g} min leaves no inject time after prewet {f.prewet_min:g} "
                f"+ flush {f.flush_min:g} min",
                "no_inject_time",
            )
        if isinstance(recipe, ChannelRecipe):
            return self._channel_run(f, zone, recipe, inject_min * 60)
        single_injector_of(self.site)
        return RunDosing(zone, recipe, self._doses(f, recipe, inject_min), inject_min * 60)

    def _channel_run(
        self, f: FertigationConfig, zone: ZoneConfig, recipe: ChannelRecipe, inject_s: float
    ) -> RunDosing:
        named = next((r for r in f.recipes if r.name == recipe.name), None)
        if named is None or f.loop is None:
            raise RecipeError(f"no fertigation.recipes entry {recipe.name!r}", "unknown_recipe")
        plan = plan_recipe(
            named,
            f.channels,
            f.loop,
            area_m2=zone.area_m2_value,
            nominal_flow_m3_h=self._nominal(zone),
            inject_s=inject_s,
            source_ec_ms_cm=f.source_ec_ms_cm,
            no_flow_m3_h=self.site.safety.no_flow_m3_h,
        )
        drive = ChannelDrive(self.site, self.outputs, self.live, self.fieldio, self.clock)
        return RunDosing(zone, recipe, [], inject_s, channels=ChannelDosing(plan), drive=drive)

    @staticmethod
    def _doses(f: FertigationConfig, recipe: Recipe, inject_min: float) -> list[_Dose]:
        tanks = {t.name: t for t in f.tanks}
        if recipe.target_ec_ms_cm is not None:
            if recipe.kg or recipe.tank not in tanks:
                raise RecipeError("a target-EC recipe names one tank and no kg", "recipe_invalid")
            return [_Dose("ec", tanks[recipe.tank], None, 0.0)]
        if not recipe.kg:
            raise RecipeError("a recipe needs kg per nutrient or a target EC", "recipe_invalid")
        doses = []
        share_h = inject_min / 60 / len(recipe.kg)
        for nutrient, kg in recipe.kg.items():
            tank = next((t for t in f.tanks if t.nutrient == nutrient), None)
            if nutrient not in NUTRIENTS or tank is None or not kg > 0:
                raise RecipeError(
                    f"{nutrient}: {kg!r} kg cannot be dosed (no tank holds it)", "no_tank"
                )
            rate_l_h = kg / tank.concentration_kg_m3 * 1000 / share_h
            doses.append(_Dose(nutrient, tank, kg, rate_l_h))
        return doses

    def check_tanks(self, recipe: Recipe) -> None:
        """:class:`RunRefused` if a tank the recipe doses from reads below its low level (m)."""
        f = fertigation_of(self.site)
        if isinstance(recipe, ChannelRecipe):
            named = next((r for r in f.recipes if r.name == recipe.name), None)
            used = {d.channel for d in named.doses} if named else set()
            for ch in f.channels:
                level = self._value(ch.tank_level, "level") if ch.tank_level else None
                if ch.name in used and level is not None and level < ch.low_level_m:
                    raise RunRefused(
                        f"channel {ch.name}: tank at {level:.2f} m < {ch.low_level_m:g} m",
                        "tank_low",
                    )
            return
        for tank in f.tanks:
            level = self._value(tank.level, "level")
            if (
                level is not None
                and level < tank.low_level_m
                and (tank.nutrient in recipe.kg or tank.name == recipe.tank)
            ):
                raise RunRefused(
                    f"tank {tank.name} at {level:.2f} m < {tank.low_level_m:g} m", "tank_low"
                )

    # ------------------------------------------------------------ the inject phase

    def begin(self, run: RunDosing, mono_s: float) -> None:
        """The inject phase begins at monotonic ``mono_s`` (s) with the first dose."""
        run.dose_since = mono_s

    def inject(self, run: RunDosing, mono_s: float, dt: float, note: Callable[[str], None]) -> bool:
        """One step of the inject phase, ``dt`` s after the last; ``True`` when it is over
        (every dose given, or injection stopped by the supervisor), the injector then off."""
        if run.channels is not None:
            return self._inject_channels(run, mono_s, dt, note)
        if run.blocked:
            note(f"injection stopped: {run.blocked}")
            self.stop(run)
            return True
        if not self.flowing():
            if run.injecting:
                self._injector_off(run)
            note("injection held while there was no water flow")
            return False
        dose = run.doses[run.dose_index]
        if run.injecting:
            dose.setpoint_l += dose.written_l_h * dt / 3600
        share_s = run.inject_s / len(run.doses)
        target = dose.target_l
        if (target is not None and dose.setpoint_l >= target) or mono_s - run.dose_since >= share_s:
            return self._next_dose(run, mono_s)
        dose.rate_l_h = self._rate(run, dose, dt)
        self._injector_on(run, dose, mono_s)
        return False

    def _inject_channels(
        self, run: RunDosing, mono_s: float, dt: float, note: Callable[[str], None]
    ) -> bool:
        dosing, drive = run.channels, run.drive
        assert dosing is not None and drive is not None
        if run.blocked:
            note(f"injection stopped: {run.blocked}")
            drive.all_off()
            return True
        rates = dosing.step(dt, drive.measure())
        if dosing.stopped is not None:
            drive.all_off()
            stop = dosing.stopped
            # an injection trip: latched, named, every dosing supply cut, the run flushes
            self.supervisor.trip(stop.code, stop.message, action="injection")
            note(f"dosing stopped: {stop.code}: {stop.message}")
            return True
        if dosing.done:
            drive.all_off()
            return True
        if dosing.no_flow_s > 0:
            note("injection held while there was no water flow")
        drive.apply(rates, mono_s)
        return False

    def stop(self, run: RunDosing) -> None:
        """Switch the injector off if this run is injecting."""
        if run.drive is not None:
            run.drive.all_off()
        if run.injecting:
            self._injector_off(run)

    @staticmethod
    def blocked(run: RunDosing, reason: str) -> None:
        """The supervisor cut injection (it switched the injector): never inject again."""
        run.blocked = reason
        run.injecting = False

    def flowing(self) -> bool:
        """The pump is on and the head meter reads at least ``safety.no_flow_m3_h``."""
        flow = self._flow()
        return (
            self.outputs.is_on("pump")
            and flow is not None
            and (flow >= self.site.safety.no_flow_m3_h)
        )

    def ec(self) -> float | None:
        """The line EC (mS/cm) at the fertigation EC meter, if read fresh."""
        return self._value(fertigation_of(self.site).ec_meter, "ec")

    def _rate(self, run: RunDosing, dose: _Dose, dt: float) -> float:
        flow = self._flow() or 0.0
        if dose.kg_target is not None:
            return dose.base_rate_l_h * flow / self._nominal(run.zone)
        target_ec = run.recipe.target_ec_ms_cm
        assert target_ec is not None
        ec = self.ec()
        if ec is None:
            return dose.rate_l_h
        err = target_ec - ec
        return max(0.0, dose.rate_l_h + EC_GAIN_L_H_PER_M3_H_MS_CM_S * flow * err * dt)

    def _injector_on(self, run: RunDosing, dose: _Dose, mono_s: float) -> None:
        injector = single_injector_of(self.site)
        if "backflush_valve" in self.outputs.roles() and self.outputs.is_on("backflush_valve"):
            self.outputs.off("backflush_valve")
        bus = self.fieldio.bus_of(injector)
        if not run.injecting:
            dose.counter_start_l = self._value(injector, "dosed_volume")
            self.outputs.on("injector_power")
            stopped_once_powered(self.site, self.fieldio, injector)  # a pump fed by its supply
            self._write_rate(bus, injector, dose, mono_s)
            bus.write_point(injector, "run", 1)
            run.injecting = True
            return
        moved = abs(dose.rate_l_h - dose.written_l_h)
        if (
            moved > max(SETPOINT_DEADBAND * dose.written_l_h, SETPOINT_DEADBAND_L_H)
            or mono_s - dose.written_at >= SETPOINT_REFRESH_S
        ):
            self._write_rate(bus, injector, dose, mono_s)

    @staticmethod
    def _write_rate(bus: Bus, injector: str, dose: _Dose, mono_s: float) -> None:
        bus.write_point(injector, "rate_setpoint", dose.rate_l_h)  # verified by read-back
        dose.written_l_h, dose.written_at = dose.rate_l_h, mono_s

    def _injector_off(self, run: RunDosing) -> None:
        run.injecting = False
        failures = stop_injector(self.site, self.outputs, self.fieldio)
        if failures:
            self.supervisor.trip("output_fault", "could not stop injection: " + "; ".join(failures))

    def _next_dose(self, run: RunDosing, mono_s: float) -> bool:
        dose = run.doses[run.dose_index]
        if run.injecting:
            self._injector_off(run)
        dose.counter_end_l = self._value(single_injector_of(self.site), "dosed_volume")
        run.dose_index += 1
        run.dose_since = mono_s
        return run.dose_index >= len(run.doses)

    # ------------------------------------------------------------ after the run

    def fertilizer(self, run: RunDosing) -> tuple[dict[str, float], str]:
        """kg per nutrient injected, and how it was measured."""
        if run.channels is not None and run.drive is not None:
            return self._channel_record(run.channels, run.drive)
        injector = single_injector_of(self.site)
        end = self._value(injector, "dosed_volume")
        for dose in run.doses:
            if dose.counter_start_l is not None and dose.counter_end_l is None:
                dose.counter_end_l = end
        counted = [
            (d.counter_end_l - d.counter_start_l)
            if d.counter_start_l is not None and d.counter_end_l is not None
            else None
            for d in run.doses
        ]
        by_counter = (
            all(c is not None for c in counted)
            and sum(c or 0.0 for c in counted) > 0
            and all((c or 0.0) >= 0 for c in counted)
        )
        kg: dict[str, float] = {}
        for dose, c in zip(run.doses, counted, strict=True):
            litres = c if by_counter and c is not None else dose.setpoint_l
            key = dose.tank.nutrient if dose.key == "ec" else dose.key
            kg[key] = kg.get(key, 0.0) + litres / 1000 * dose.tank.concentration_kg_m3
        how = (
            f"fertilizer by {injector} dosed-volume counter"
            if by_counter
            else f"fertilizer by {injector} setpoint × time"
        )
        return kg, how

    @staticmethod
    def _channel_record(dosing: ChannelDosing, drive: ChannelDrive) -> tuple[dict[str, float], str]:
        """kg per channel (``channel:<name>``, channels with ``stock_kg_l``) and the text
        giving each channel's litres, from its injector's counter when read, else rate × time."""
        kg: dict[str, float] = {}
        parts = []
        for name, ch in dosing.channels.items():
            counted = drive.counted_l(name)
            by_counter = counted is not None and counted > 0  # a counter that moved
            litres = counted if by_counter and counted is not None else ch.given_l
            how = "counter" if by_counter else "rate × time"
            target = ch.target.target_l
            goal = f" of {target:.2f} L" if target is not None else ""
            parts.append(f"{name} {litres:.2f} L{goal} ({how})")
            if ch.target.stock_kg_l:
                kg[f"channel:{name}"] = round(litres * ch.target.stock_kg_l, 4)
        return kg, "channels: " + ", ".join(parts)

    # ------------------------------------------------------------ readings

    def _nominal(self, zone: ZoneConfig) -> float:
        return self.supervisor.learned_nominal_m3_h(zone.name) or zone.nominal_flow_m3_h

    def _flow(self) -> float | None:
        return self._value(self.site.head.flow_meter, "flow_rate")

    def _value(self, device: str, point: str) -> float | None:
        return self.live.value(device, point, self.clock.now(), control_max_age_s(self.site))
