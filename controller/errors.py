"""The controller's exceptions: one root, one branch per kind of trouble.

Each room keeps its classes next to the code that raises them; this module holds the
root and the shared bases, and draws the whole tree (each class's module in parentheses)::

    ControllerError                          root of every error raised by controller/
    ├── ProblemsError                        invalid input, ``problems`` lists every one found
    │   ├── ConfigError                      the site file (config.errors)
    │   ├── SettingsInvalid(ValueError)      settings from the pages (daemon.protocol)
    │   ├── SitesFileError(ValueError)       the office's SITES.toml (office.pull)
    │   └── FailSafeError(RuntimeError)      a relay module's own fail-safe (runtime.failsafe)
    ├── CodedValueError(ValueError)          a site-file model check's refusal by message
    │                                        code (config.schema_problems)
    ├── ClockError(ValueError)               a virtual clock asked to go back (clock)
    ├── StoreError                           the box's database (store.errors)
    │   ├── StoreVersionError                the schema is not the one this code knows
    │   │   └── SchemaRevisionError          an alembic revision this code does not know
    │   ├── StoreWriteError                  a write did not commit
    │   ├── StoreCorruptError                the database file is damaged (torn write)
    │   ├── NotFound                         no row with that id
    │   ├── RunStateError                    a run state change the state machine forbids
    │   ├── InvalidToken                     unknown or revoked API token
    │   ├── UnknownExportTable(ValueError)   not an export table (store.exports)
    │   └── AckBeyondEnd(ValueError)         an acknowledgement past the table's end
    ├── AccountError                         page accounts and sessions (access.accounts)
    │   ├── InvalidUser                      a name, role or password not acceptable
    │   ├── UserExists · UnknownUser         adding an existing or changing a missing user
    │   ├── LastAdmin · SelfLockout          no enabled admin left; an admin disabling oneself
    │   ├── LoginFailed · TooManyAttempts    wrong name or password; throttled
    │   └── InvalidSession                   unknown, expired or revoked session
    ├── AccessRefused                        what a role may not do (access.rights)
    │   └── AckRefused                       an export cursor moved back or started behind
    ├── NoFreshValue(LookupError)            no good reading young enough (runtime.live)
    ├── SequencerError                       a run refused or failed (runtime.sequencer)
    │   ├── RunRefused                       not now: alarm, pause, busy injector
    │   │   └── CapacityExceeded             the pump cannot feed these zones together
    │   ├── DurationError(ValueError)        minutes outside the zone's limits
    │   ├── VolumeError(ValueError)          a target volume not positive or not reachable
    │   ├── RecipeError(ValueError)          the recipe cannot be dosed on this site
    │   ├── OutputFailed                     an output did not switch; all switched off
    │   └── RecordRefused                    a running run's record refused; its water and
    │                                        dosing switched off again (runtime.runs)
    ├── AgronomyError                        a job cannot compute from its data (agronomy.types)
    │   └── WeatherUnavailable               no usable weather and no recent ET0
    ├── ControlRefused                       a control verb refused, with a code (daemon.protocol)
    ├── SampleRefused(ValueError)            a soil sample not stored, ``field`` names the input
    │                                        (learning.samplerefusal)
    ├── ObservationRefused(ValueError)       a crop observation not stored, ``field`` names
    │                                        the input (daemon.protocol)
    ├── CameraError                          a zone's camera snapshot not had (canopy.errors)
    │   ├── CameraUnreachable                refused, no route, name unknown, cut off
    │   ├── CameraTimeout                    no whole answer within timeout_s
    │   ├── CameraHTTPError                  an HTTP status other than 200
    │   ├── NotAnImage(ValueError)           not a JPEG or PNG picture
    │   └── ImageTooLarge                    more than max_image_kb, or too many pixels
    ├── UnknownName(LookupError)             no zone, device, run or alarm by that name
    ├── UnknownLanguage(LookupError)         no record catalog in that language (said.words)
    ├── StartupError(RuntimeError)           the site cannot be made safe (daemon.daemon)
    ├── BackflushNotRecorded(RuntimeError)   a backflush's record refused; its valve closed
    │                                        again (runtime.headworks)
    ├── OfficeError                          the central office's tools
    │   ├── PullError                        one site could not be pulled (office.pull)
    │   │   ├── SiteUnreachable              no answer, refused connection, 5xx
    │   │   ├── SiteRefused                  HTTP 4xx, most often the token
    │   │   ├── BadAnswer                    not the export format
    │   │   └── BoxWentBack                  the box's ids went back below the cursor
    │   ├── CentralError                     the central database failed (office.central.db)
    │   ├── BadRows(ValueError)              rows a box sent that cannot be stored
    │   ├── StreamRejected(ValueError)       a streamed page not the export (office.central.pg)
    │   ├── UnknownSites(ValueError)         a report asked for sites the office does not hold
    │   ├── NotZones(ValueError)             not a zone list from a box (office.zones_answer)
    │   └── NeedsStaging                     a month's partition missing: ask the page again,
    │                                        staged (office.central.pg)
    ├── NotifyError                          notifications (notify.errors)
    │   ├── DeliveryFailed                   a channel did not take a message; retried
    │   └── UnknownChannel(LookupError)      no enabled channel of that name
    ├── BridgeError                          the MQTT bridge (bridge.errors)
    │   └── BadCommand(ValueError)           a command message refused as malformed
    ├── ScenarioError(ValueError)            a season scenario file (simulation.season)
    │   └── DemoError                        the demo cannot start as asked (simulation.demo)
    ├── RefereeInternalsError(RuntimeError)  aquacrop changed under the referee
    │                                        (simulation.referee.aquacrop)
    └── CommandError                         a ``qanat`` subcommand cannot go on (cli)
        ├── BackupError                      a backup or restore (cli.backup)
        │   └── _Stranded                    a failed restore that could not put back
        │                                    all the box's own files (kept, named)
        ├── SwapUndoError                    renames that could not be undone (cli.swap)
        ├── CsvFormatError(ValueError)       a CSV unusable as a whole (cli.csvio)
        └── _Unusable                        et0's input or options (cli.et0, exit 2)

A class keeps a built-in second base (``ValueError``, ``LookupError``, ``RuntimeError``)
where callers catch that. The drivers' and the models' errors are their own trees
(:mod:`drivers.errors`, :mod:`models.errors`); the controller does not wrap them.
``tests/test_error_trees.py`` fails when a class outside this tree appears.

This module imports nothing of qanat, so every room may use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["CodedProblem", "CommandError", "ControllerError", "OfficeError", "ProblemsError"]


class ControllerError(Exception):
    """Root of every error raised by ``controller/``."""


@dataclass(frozen=True, slots=True)
class CodedProblem:
    """One of a :class:`ProblemsError`'s problems as a message code and its values, so that
    a page can say it in its own language.

    ``text`` is the problem's English line in ``problems``; ``code`` names the message
    (``dosing.ec_above_max``); ``values`` fill it, numbers already written out.
    """

    text: str
    code: str
    values: Mapping[str, str] = field(default_factory=dict)


class ProblemsError(ControllerError):
    """Input refused with every problem found; ``problems`` are ``key.path: message`` lines.

    The message is ``message`` if given, else the problems one per line. ``coded`` holds
    those problems that also have a message code (:class:`CodedProblem`), in any order.
    """

    def __init__(
        self,
        problems: list[str],
        message: str | None = None,
        *,
        coded: Sequence[CodedProblem] = (),
    ) -> None:
        super().__init__("\n".join(problems) if message is None else message)
        self.problems = problems
        self.coded = tuple(coded)


class OfficeError(ControllerError):
    """Base of the central office's errors (pulling sites, the central database)."""


class CommandError(ControllerError):
    """Base of the errors of one ``qanat`` subcommand's own work (files, archives)."""
