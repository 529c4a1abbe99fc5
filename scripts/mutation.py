"""Mutation testing of one module against its fast tests, and the scores (mutmut 3).

Called by ``scripts/mutation.sh``, which runs one module at a time at the lowest priority:

    python scripts/mutation.py run web/security.py   # mutate one module, run its tests
    python scripts/mutation.py score [MODULE...]      # killed / total from ./mutants
    python scripts/mutation.py again web/security.py # judge the last run's survivors again
    python scripts/mutation.py run MODULE 'NAME*'...   # mutate afresh, judge only those

mutmut reads its shared settings from ``[tool.mutmut]`` in pyproject.toml (what is copied,
pytest options, timeouts); the module to mutate and the tests that judge it come from
``TESTS`` below and are set on mutmut's configuration before it runs, since its own
configuration holds one selection for the whole tree. Each mutant runs only those tests of
the selection that call the mutated function, in a process forked from a warm one.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

# The modules worth the time (water, access, the numbers users trust), smallest and most
# important first, each with the tests that exercise it in seconds.
TESTS: dict[str, list[str]] = {
    "web/security.py": [
        "tests/web/test_security.py",
        "tests/web/test_security_mutants.py",
        "tests/web/test_api_auth.py",
    ],
    "models/planner/equations.py": [
        "tests/models/test_planner.py",
        "tests/models/test_planner_mutants.py",
    ],
    "models/planner/kernel.py": [  # against its plain-Python reference, and plans by hand
        "tests/models/test_planner_kernel.py",
        "tests/models/test_planner.py",
        "tests/models/test_planner_kernel_mutants.py",
    ],
    "controller/runtime/outputs.py": [
        "tests/controller/test_outputs_mutants.py",
        "tests/controller/test_sequencer_limits.py",
        "tests/controller/test_sequencer_sim.py",
        "tests/controller/test_safety_seed.py",
    ],
    "controller/access/accounts.py": [
        "tests/web/test_accounts_mutants.py",
        "tests/web/test_pages_accounts.py",
        "tests/web/pages/test_pages_users.py",
    ],
    "models/waterbalance/equations.py": [
        "tests/models/test_waterbalance.py",
        "tests/models/test_waterbalance_mutants.py",
    ],
    "models/waterbalance/step.py": [  # not the kernel's or pyfao56's tests
        "tests/models/test_waterbalance.py",
        "tests/models/test_waterbalance_subsoil.py",
        "tests/models/test_waterbalance_step_mutants.py",
    ],
    "models/et0/equations.py": [  # not the kernels' own tests: slow, and the same equations
        "tests/models/test_et0_examples.py",
        "tests/models/test_et0_inputs.py",
        "tests/models/test_et0_mutants.py",
    ],
    "controller/office/export.py": [
        "tests/office/test_export_mutants.py",
        "tests/office/test_export_cursor.py",
        "tests/web/test_export_paths.py",
    ],
    "controller/runtime/safety.py": [
        "tests/controller/test_safety_mutants.py",
        "tests/controller/test_sequencer_limits.py",
        "tests/controller/test_sequencer_sim.py",
        "tests/controller/test_safety_seed.py",
    ],
    "controller/runtime/sequencer.py": [
        "tests/controller/test_sequencer_mutants.py",
        "tests/controller/test_sequencer_limits.py",
        "tests/controller/test_sequencer_sim.py",
        "tests/controller/test_safety_seed.py",
        "tests/controller/test_volume_runs.py",  # runs by volume: the only caller of those
    ],
    "controller/runtime/pulses.py": [
        "tests/controller/test_pulses.py",
        "tests/controller/test_volume_runs.py",
        "tests/controller/test_pulses_mutants.py",
    ],
    "controller/runtime/piloop.py": [
        "tests/controller/test_channels.py",
        "tests/controller/test_channels_mutants.py",
    ],
    "controller/runtime/channels.py": [
        "tests/controller/test_channels.py",
        "tests/controller/test_channels_mutants.py",
    ],
    "controller/runtime/readback.py": [
        "tests/controller/test_readback.py",
        "tests/controller/test_readback_mutants.py",
    ],
    "controller/runtime/dosers.py": [  # the dosing pumps' start and stop, fed pumps' too
        "tests/controller/test_dosing_at_start.py",
        "tests/controller/test_safety_mutants.py",
    ],
    "controller/runtime/failsafe.py": [
        "tests/deploy/test_failsafe.py",
        "tests/deploy/test_comm_watchdog_start.py",
        "tests/controller/test_failsafe_mutants.py",
    ],
    "web/limits.py": [
        "tests/web/test_body_limits.py",
        "tests/web/test_limits_mutants.py",
    ],
    "web/deps.py": [
        "tests/web/test_deps_mutants.py",
        "tests/web/test_api_auth.py",
    ],
    "controller/access/lockout.py": [
        "tests/web/test_lockout_mutants.py",
        "tests/web/test_login_backoff.py",
    ],
    "controller/access/rights.py": [
        "tests/web/test_rights_mutants.py",
        "tests/web/test_export_rights.py",
    ],
    # Not test_authz_matrix.py: minutes for each mutant it runs whole on a shared 2-core box.
    "web/pages/context.py": [
        "tests/web/pages/test_context_mutants.py",
    ],
    # The meter rules at their seam (a LiveState fed by hand), not test_open_faults.py: it
    # runs the simulated bus and the whole daemon for each mutant.
    "controller/runtime/frozenmeter.py": [
        "tests/controller/test_frozenmeter.py",
        "tests/controller/test_ratecheck.py",  # the rate check reads meters through it too
        "tests/controller/test_frozenmeter_mutants.py",
    ],
    "controller/runtime/ratecheck.py": [
        "tests/controller/test_ratecheck.py",
        "tests/controller/test_ratecheck_mutants.py",
    ],
    "controller/daemon/tickfailures.py": [  # not test_open_faults.py: the whole daemon
        "tests/controller/test_tickfailures.py",
    ],
    "controller/runtime/metering.py": [  # the sequencer's tests: it meters each run's water
        "tests/controller/test_metering_mutants.py",
        "tests/controller/test_sequencer_mutants.py",
        "tests/controller/test_sequencer_limits.py",
        "tests/controller/test_sequencer_sim.py",
        "tests/controller/test_volume_runs.py",
        "tests/controller/test_frozenmeter_mutants.py",  # read_totalizer
    ],
    "controller/runtime/timetrust.py": [  # not test_cli_confirm_time.py: a process each
        "tests/controller/test_timetrust.py",
        "tests/controller/test_timetrust_mutants.py",
    ],
    "controller/runtime/headworks.py": [  # simulated devices on a virtual clock, in seconds
        "tests/controller/test_headworks_mutants.py",
        "tests/controller/test_headworks.py",
    ],
}

# Surviving mutants that were looked at and left, by mutmut's name on this version of the
# module, with the reason: most are equivalent (no input tells them apart), a few differ only
# for inputs no caller gives. They still count as survivors in the score.
_JOIN = "join without its ON clause: SQLAlchemy infers the same one from the foreign key"
_SEEN = "last_seen_at left empty at login: session() falls back to created_at, the same time"
_HEADER = "the header's read starts at id None or 1 for 0: it reads no row (limit 0), same names"
_KEY = "the rule's private key in the pending delays renamed: still its own, no other uses it"
_SAFETY = "controller.runtime.safety.xǁSupervisorǁ"
_SEQ = "controller.runtime.sequencer.xǁSequencerǁ"
_PULSE = "controller.runtime.pulses.xǁPulseTotalizerǁ"
_DOSE = "controller.runtime.channels.xǁChannelDosingǁ"
_NO_FERT = "the limit's default is read only by fertilizer channels, and with one there is one"
_EXACT = "a pH spread of exactly 0.001: floats between 2 and 16 are not spaced finely enough"
_READBACK = "controller.runtime.readback.xǁReadBackǁ"
_FIRST = "failures = for += on the empty list: the first addition"
_ALARM_GATE = (
    "an alarm-only trip held as acting or kept: the gate reads only stopping codes, and no "
    "alarm-only trip has one"
)
_ALARM_EPISODE = "an alarm-only trip's code discarded from the stopping episodes: never put there"
_OUT = "controller.runtime.outputs.xǁOutputsǁ"
_READS_ON = (
    "reads_on None or True for False once switched: it is read only with wanted_on False, "
    "and every switch that sets that sets reads_on too"
)
_CASE = "a header name's case: Starlette lowercases header names, HTTP ignores their case"
_NO_RECEIVE = "receive None for a refusal: Starlette's Response never reads the request"
_LIM = "web.limits.xǁBodyLimitǁ__call____mutmut_"
_LANG = "no language cookie read as None: not a locale, so the default all the same"
_REQUEST = "the page's request under another key: TemplateResponse sets it as request itself"
EXPLAINED: dict[str, str] = {
    "web.security.x_load_box_secret__mutmut_2": "secrets.token_bytes(None) draws 32 bytes too",
    "web.security.x_load_box_secret__mutmut_16": "secrets.token_bytes(None) draws 32 bytes too",
    "web.security.x_csrf_token__mutmut_9": '"ASCII" names the same codec as "ascii"',
    "web.security.x_csrf_valid__mutmut_12": 'an empty token is refused before "XXXX" is compared',
    "web.security.x__hostname__mutmut_18": "rsplit without a limit: the host has one colon",
    "web.security.x__hostname__mutmut_19": "split instead of rsplit: the host has one colon",
    "web.security.x__hostname__mutmut_21": "rsplit limit 2 instead of 1: the host has one colon",
    "models.planner.equations.x_cycle_count__mutmut_4": (
        "a run of exactly cycle_max minutes is one cycle by either branch"
    ),
    "controller.access.accounts.xǁAccountsǁlast_logins__mutmut_5": _JOIN,
    "controller.access.accounts.xǁAccountsǁlast_logins__mutmut_7": _JOIN,
    "controller.access.accounts.xǁAccountsǁsession__mutmut_7": _JOIN,
    "controller.access.accounts.xǁAccountsǁsession__mutmut_9": _JOIN,
    "controller.access.accounts.xǁAccountsǁopen_session__mutmut_8": _SEEN,
    "controller.access.accounts.xǁAccountsǁopen_session__mutmut_13": _SEEN,
    "controller.access.accounts.xǁAccountsǁusers__mutmut_3": (
        "no ORDER BY: SQLite returns the users in id order anyway (not promised, so kept)"
    ),
    "models.waterbalance.equations.x_exposed_wetted_fraction__mutmut_16": (
        "upper bound 2 instead of 1: min(1 − fc, fw) cannot exceed 1 for fc ≥ 0, fw ≤ 1"
    ),
    "models.waterbalance.equations.x_water_stress__mutmut_1": (
        "Dr < RAW instead of ≤: at Dr = RAW eq. 84 gives (TAW − RAW) / (TAW − RAW) = 1 too"
    ),
    "models.et0.equations.x_soil_heat_flux_hourly__mutmut_6": (
        "Rn ≤ 0 instead of < 0 for night: at Rn = 0 both fractions give G = 0 (eqs. 45, 46)"
    ),
    "models.et0.equations.x_solar_time_angle__mutmut_5": (
        "+ 12 h for − 12 h in eq. 31: ω moves by 2π, the same angle after the wrap into [−π, π)"
    ),
    "models.et0.equations.x_solar_time_angle__mutmut_14": (
        "ω − π for ω + π before the wrap: 2π less, the same angle after it"
    ),
    "models.waterbalance.step.x_advance__mutmut_109": (
        "− DP for + DP in eq. 85: with DP > 0 eq. 85 gives 0 (to a rounding residue), the "
        "mutant −2 DP, both held at 0 by eq. 86"
    ),
    "models.waterbalance.step.x_advance__mutmut_113": (
        "Dr ≥ TAW for > TAW: at Dr = TAW nothing is cut (a shortfall of 0 mm) and Dr stays TAW"
    ),
    "controller.office.export.x_csv_columns__mutmut_3": _HEADER,
    "controller.office.export.x_csv_columns__mutmut_8": _HEADER,
    **{
        f"{_SAFETY}{rule}__mutmut_{n}": _KEY
        for rule, ns in {
            "_pump_no_valve": (2, 6, 7),
            "_dry_run": (8, 12, 13),
            "_burst": (18, 22, 23),
            "_unscheduled_flow": (15, 19, 20),
        }.items()
        for n in ns
    },
    f"{_SAFETY}__init____mutmut_32": "_mono_s None at start: check() sets it before any use",
    f"{_SAFETY}__init____mutmut_11": (
        "_commanded None at start: _track_outputs() sets it before any rule reads it"
    ),
    f"{_SAFETY}_switch_and_record__mutmut_16": _FIRST,
    f"{_SAFETY}_switch_and_record__mutmut_32": _FIRST,
    f"{_SAFETY}_act__mutmut_11": _ALARM_GATE,
    f"{_SAFETY}_act__mutmut_12": _ALARM_GATE,
    f"{_SAFETY}_act__mutmut_14": (
        "an alarm-only trip's refusals list None: it aborts no run, so nothing is added to it"
    ),
    f"{_SAFETY}_switch_and_record__mutmut_47": _ALARM_EPISODE,
    f"{_SAFETY}_switch_and_record__mutmut_48": _ALARM_EPISODE,
    f"{_SAFETY}_latched__mutmut_2": "kept None for False before the record: read only as a truth",
    f"{_SAFETY}_latched__mutmut_3": (
        "kept True before the record: differs only if recording raises (a bug: a refused run "
        "end is caught and raised after it), and then only while the store holds unwritten "
        "records"
    ),
    f"{_SAFETY}_latched__mutmut_7": (
        "pop without its default: the code was put in _acting just before, under the lock"
    ),
    f"{_SAFETY}_switch_and_record__mutmut_50": (
        "a trip that stopped everything left in _unstopped: its rule holds again only with "
        "a relay on in the field, which a clean stop leaves none of, and check() drops it"
    ),
    f"{_SAFETY}check__mutmut_16": (
        "= for &= on the episodes: adds this check's trips that stopped everything, whose "
        "rules then hold with nothing on in the field, so never at the next check"
    ),
    f"{_SAFETY}release_starts__mutmut_3": (
        "pop without its default: the daemon releases control_error only after an episode of "
        "failing ticks, whose first tick held it"
    ),
    f"{_SAFETY}learned_nominal_m3_h__mutmut_6": "the default's average is never returned (n 0)",
    f"{_SAFETY}learned_nominal_m3_h__mutmut_7": "a default of 1 sample is below the 60 needed too",
    f"{_SAFETY}_metered_s__mutmut_10": (
        "1 s for a valve on 0 s: no_pulse_s exceeds its counter's poll (≥ 1 s), so either is short"
    ),
    "controller.runtime.safety.x_learned_from_runs__mutmut_16": (
        "`or` in an assert for the type checker: the runs were filtered on both being set"
    ),
    f"{_SEQ}__init____mutmut_3": "self.live is never read: Metering and Dosing get it directly",
    f"{_SEQ}__init____mutmut_5": "self.fieldio is never read: Dosing gets it directly",
    f"{_SEQ}__init____mutmut_31": "_dt at start: _account() sets it before any use",
    f"{_SEQ}__init____mutmut_32": "_dt at start: _account() sets it before any use",
    f"{_SEQ}_credit__mutmut_8": (
        "`and` for `or`: a configured zone always has a meter, an unknown one never"
    ),
    f"{_SEQ}_finish__mutmut_3": (
        'fertilizer "" for None: the store keeps {} either way (dict("") is empty)'
    ),
    f"{_SEQ}_finish__mutmut_28": (
        "break for continue past a run closed meanwhile: _close_refused closed it, whose own "
        "end recorded every later run's progress on the meter at this instant (or a trip "
        "ended them all)"
    ),
    f"{_PULSE}__init____mutmut_7": "_mono_s at start: feed() sets it with the first count",
    f"{_PULSE}__init____mutmut_8": "_mono_s at start: feed() sets it with the first count",
    f"{_PULSE}_classify__mutmut_11": (
        "rise ≥ most for > most: a rise of exactly most was counted by the branch before"
    ),
    f"{_PULSE}feed__mutmut_27": (
        "window trimmed at 2 changes too: the second is the one just added, 0 s old"
    ),
    f"{_DOSE}__init____mutmut_27": "the pH loop's feed-forward without an acid channel: unread",
    f"{_DOSE}_acid_l_m3__mutmut_3": "the acid rate without an acid channel: given to no channel",
    "controller.runtime.channels.x_plan_recipe__mutmut_17": (
        "0 L for no l_mu: a dose has exactly one amount, so kg_mu then sets the litres"
    ),
    "controller.runtime.channels.x_plan_recipe__mutmut_49": (
        "−2 for −1 as the low level of a tank without a transmitter: any < 0 means none"
    ),
    f"{_DOSE}_give__mutmut_2": (
        "1 L/h once a channel's amount is given: trimmed to what is left, 0 or within done's 1e-9 L"
    ),
    f"{_DOSE}step__mutmut_54": _NO_FERT,
    f"{_DOSE}step__mutmut_66": _NO_FERT,
    f"{_DOSE}step__mutmut_64": (
        "wanted ≥ 0 for > 0: a fertilizer's wanted rate is ratio × flow × scale, each > 0"
    ),
    f"{_DOSE}_ph_stuck__mutmut_33": _EXACT,
    f"{_DOSE}_ph_stuck__mutmut_34": (
        "the acid moved exactly 20 % of its plan: the PI's outputs cannot be set that exactly"
    ),
    "web.limits.x__too_large__mutmut_11": _CASE,
    "web.limits.x__too_large__mutmut_12": _CASE,
    "web.limits.x__unauthorized__mutmut_11": _CASE,
    "web.limits.x__unauthorized__mutmut_12": _CASE,
    "web.limits.xǁAuthBeforeBodyǁ__call____mutmut_18": _CASE,
    "web.limits.xǁAuthBeforeBodyǁ__call____mutmut_19": _CASE,
    "web.limits.x_credentials_refusal__mutmut_15": _CASE,
    "web.limits.x_credentials_refusal__mutmut_16": (
        '"XXXX" for no Authorization header: no space, so an empty token, refused the same'
    ),
    "web.limits.xǁAuthBeforeBodyǁ__call____mutmut_23": _NO_RECEIVE,
    f"{_LIM}18": _NO_RECEIVE,
    f"{_LIM}57": _NO_RECEIVE,
    f"{_LIM}26": "exceeded = started = None for False: both falsy, and `started or` makes a bool",
    "web.pages.context.x_check_csrf__mutmut_1": (
        '"XXXX" as the CSRF field\'s default: refused like "", it is no session\'s HMAC'
    ),
    "web.pages.context.x_check_csrf__mutmut_5": _CASE,
    "web.pages.context.x_check_csrf__mutmut_22": _CASE,
    "web.pages.context.x_check_csrf__mutmut_25": _CASE,
    "web.pages.context.x_locale_of__mutmut_4": _LANG,
    "web.pages.context.x_locale_of__mutmut_6": _LANG,
    "web.pages.context.x_render__mutmut_67": (
        "TemplateResponse given None for the request: the context already holds it"
    ),
    "web.pages.context.x_render__mutmut_78": (
        "the flash cookie deleted without path=/: Starlette's delete_cookie defaults to /"
    ),
    "web.pages.context.x_render__mutmut_23": _REQUEST,
    "web.pages.context.x_render__mutmut_24": _REQUEST,
    f"{_OUT}on__mutmut_20": _READS_ON,
    f"{_OUT}on__mutmut_21": _READS_ON,
    f"{_OUT}off__mutmut_14": _READS_ON,
    "controller.runtime.outputs.x_all_off_verified__mutmut_4": (
        "None instead of {} before the first attempt: differs only for attempts=0, never passed"
    ),
    f"{_READBACK}__init____mutmut_27": 'float("-INF") is float("-inf")',
    f"{_READBACK}_trip__mutmut_22": (
        'log.error(message) for log.error("%s", message): without arguments logging does not '
        "format, so a % in the text is printed as it is: the same line"
    ),
    f"{_READBACK}_act__mutmut_4": (
        "`or` for `and` in the switch-off test: a mismatch reads unlike its command, so it "
        "reads on exactly when commanded off (an unreadable one is commanded on)"
    ),
}

_PLAN = "models.planner.kernel.x_"
_UNREAD = "the minutes and flags of a refusal: plan_zones reads them only with the code _OK"
_NO_PRICE = "the price of a run that does not fit: plan_zones reads it only when it fits"
_BEST = "the best slot's values before one is found: set with it, read only once best ≥ 0"
_INT64 = "np.full with the fill −1 or 0 (Python int) is int64 without the dtype, as on Linux"
EXPLAINED |= {
    f"{_PLAN}_duration__mutmut_5": _UNREAD,
    f"{_PLAN}_duration__mutmut_6": _UNREAD,
    f"{_PLAN}_duration__mutmut_37": _UNREAD,
    f"{_PLAN}_duration__mutmut_38": _UNREAD,
    f"{_PLAN}_duration__mutmut_23": "flags = for |= FLAG_MAX_RUN: the flags are 0 before it",
    f"{_PLAN}_duration__mutmut_40": (
        "flags = for |= FLAG_MIN_RUN: drops FLAG_MAX_RUN only if max run < min run (invalid)"
    ),
    f"{_PLAN}_fits__mutmut_22": _NO_PRICE,
    f"{_PLAN}_fits__mutmut_37": _NO_PRICE,
    f"{_PLAN}_occupy__mutmut_3": "no slot marked at start: None or −1, a slot is never either",
    f"{_PLAN}_occupy__mutmut_5": "no slot marked at start: −2 or −1, a slot is never either",
    f"{_PLAN}_occupy__mutmut_6": "last before the cycles: every run has a cycle, which sets it",
    f"{_PLAN}plan_zones__mutmut_101": 'argsort kind "MERGESORT": numpy reads it as "mergesort"',
    f"{_PLAN}plan_zones__mutmut_111": "cont None for False at start: both false",
    f"{_PLAN}plan_zones__mutmut_156": "overfills None for False at start: both false",
    f"{_PLAN}plan_zones__mutmut_138": (
        "s > n for s ≥ n on a continuation: at s = n the search finds no slot, the same NO_SLOT"
    ),
    f"{_PLAN}plan_zones__mutmut_145": "best −2 for −1 before a slot is found: both < 0",
    **{f"{_PLAN}plan_zones__mutmut_{n}": _BEST for n in range(146, 156)},
    **{f"{_PLAN}plan_zones__mutmut_{n}": _INT64 for n in (5, 8, 28, 31, 49, 52, 56, 59)},
    f"{_PLAN}plan_zones__mutmut_60": "first at start +1 for −1: every zone's is then set",
    f"{_PLAN}plan_zones__mutmut_61": "first at start −2 for −1: every zone's is then set",
    f"{_PLAN}plan_zones__mutmut_91": (
        "urgency 3 × trigger slot for 2 ×: 1 − Dr/TAW is in [0, 1], so any factor > 1 ranks "
        "by trigger slot first"
    ),
    f"{_PLAN}plan_zones__mutmut_93": "urgency 2 − Dr/TAW for 1 − Dr/TAW: every zone's + 1",
}

_FROZEN = "controller.runtime.frozenmeter.x_totalizer_step_m3__mutmut_"
EXPLAINED |= {
    f"{_FROZEN}16": (
        "a float total divided by its scale even at scale 0: a profile refuses scale 0"
    ),
    f"{_FROZEN}19": "a float total's register read as 1 at scale 0: the step is 0 × it anyway",
    f"{_FROZEN}22": "frexp even of a total of 0: frexp(0) gives the exponent 0 as well",
}

_WINDOW = "controller.runtime.ratecheck.xǁ_Windowǁ"
EXPLAINED |= {
    f"{_WINDOW}add__mutmut_23": (
        "the rate's running sum starts at 1 m3 for 0: water_m3 takes differences of it"
    ),
    f"{_WINDOW}trim__mutmut_5": (
        "trim stops at 2 polls for 1: long_enough(1) of 2 polls has 1, under DISAGREE_MIN_POLLS"
    ),
}

_METER = "controller.runtime.metering.xǁMeteringǁ"
EXPLAINED |= {
    f"{_METER}counted_to__mutmut_5": (
        "`and` for `or` between the anchor's m3 and time: they are set and cleared together"
    ),
    f"{_METER}_increment__mutmut_6": "a meter's state made with device None: nothing reads it",
    f"{_METER}start__mutmut_12": "a meter's state made with device None: nothing reads it",
}

_TRUST = "controller.runtime.timetrust."
_NONE_IS_FALSE = "over_records read with the default None for False: bool(None) is False too"
EXPLAINED |= {
    f"{_TRUST}x_boot_id__mutmut_1": (
        "the boot id read in the locale's encoding for ASCII: it is ASCII hex and dashes"
    ),
    f"{_TRUST}x_boot_id__mutmut_3": '"ASCII" names the same codec as "ascii"',
    f"{_TRUST}xǁConfirmationǁfrom_audit__mutmut_24": _NONE_IS_FALSE,
    f"{_TRUST}xǁConfirmationǁfrom_audit__mutmut_26": _NONE_IS_FALSE,
    f"{_TRUST}xǁTimeGateǁconfirm__mutmut_1": (
        "a Protocol's default: the body is never run, each implementation has its own"
    ),
    f"{_TRUST}xǁTimeTrustǁ_confirmed__mutmut_17": (
        "the reason given with a held confirmation: verdict reads it only when not held"
    ),
    f"{_TRUST}xǁTrustAlarmǁ__init____mutmut_2": (
        'no alarm raised yet as "" for None: no condition is "", and the first trusted '
        "update sweeps either way"
    ),
    f"{_TRUST}xǁTrustAlarmǁ__init____mutmut_3": "_swept None for False at start: both false",
}

_HEAD = "controller.runtime.headworks.xǁHeadWorksǁ"
_HOURS = "controller.runtime.headworks.x_pump_hours__mutmut_"
_DAEMON_NOW = "now taken from the clock for the one handed in: the daemon hands the clock's now"
_TOGETHER = "cur_start and cur_end are set together: `or` and `and` between them agree"
_FIRST_TICK = (
    "a deferral or a dp hold at start: the first tick is never due (the pump is seen on "
    "there, not settled), and it resets both"
)
_MORE_RUNS = "more runs read from the store (all, or a day more): pump_hours' since= clips them"
EXPLAINED |= {
    f"{_HEAD}_continue__mutmut_16": 'why None for "" at a plain end: both false, no event',
    f"{_HEAD}_start__mutmut_20": "the backflush's reason kept as None: nothing reads it",
    f"{_HEAD}tick__mutmut_3": _DAEMON_NOW,
    f"{_HEAD}tick__mutmut_23": _DAEMON_NOW,
    f"{_HEAD}filter_dp_kpa__mutmut_3": _DAEMON_NOW,
    f"{_HEAD}__init____mutmut_14": "_deferred None for False at start: both false",
    f"{_HEAD}tick__mutmut_34": "_deferred None for False: both false",
    f"{_HEAD}tick__mutmut_48": "_deferred None for False: both false",
    f"{_HEAD}tick__mutmut_49": (
        "_deferred True after a start: the first tick after the backflush is never due (the "
        "gap, the dp's hold and the interval start again), and it sets False"
    ),
    f"{_HEAD}filter_dp_kpa__mutmut_17": (
        "`or` for `and` on the two transmitters: with one missing it reads None, so None either way"
    ),
    f"{_HOURS}38": "a run of no length kept: it adds 0 s, or merges into a span it touches",
    f"{_HOURS}42": 'cur_start "" for None at start: cur_end None decides the first span alone',
    f"{_HOURS}43": 'cur_end "" for None at start: cur_start None decides the first span alone',
    f"{_HOURS}46": _TOGETHER,
    f"{_HOURS}50": _TOGETHER,
    f"{_HOURS}62": _TOGETHER,
    f"{_HOURS}49": "spans that touch not merged: their sum is the merged length",
    f"{_HEAD}__init____mutmut_15": _FIRST_TICK,
    f"{_HEAD}__init____mutmut_16": _FIRST_TICK,
    f"{_HEAD}pump_hours__mutmut_2": _MORE_RUNS,
    f"{_HEAD}pump_hours__mutmut_4": _MORE_RUNS,
    f"{_HEAD}pump_hours__mutmut_8": _MORE_RUNS,
    f"{_HEAD}pump_hours__mutmut_15": _MORE_RUNS,
    f"{_HEAD}_recall__mutmut_18": _MORE_RUNS,
    f"{_HEAD}_recall__mutmut_21": _MORE_RUNS,
}

_DOSERS = "controller.runtime.dosers.x_"
_LOG = "a log line's text or argument: what is logged, not what is done"
EXPLAINED |= {
    **{f"{_DOSERS}run_off_at_start__mutmut_{n}": _LOG for n in range(23, 32)},
    **{f"{_DOSERS}stop_pump__mutmut_{n}": _LOG for n in (27, 28, 32, *range(57, 65))},
    f"{_DOSERS}stop_pump__mutmut_5": "stopped None for False at start: both false",
    f"{_DOSERS}stop_pump__mutmut_34": "supply_off None for False at start: both false",
}

# mutmut's exit codes by verdict (mutmut.stats.status_by_exit_code, narrowed).
DETECTED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout"}
DETECTED |= {255: "timeout", 37: "caught by type check"}


def _root(module: str) -> Path:
    """The module's own copy of the tree: mutmut's incremental state assumes one selection,
    so each module gets a fresh one (``mutants/<module>/mutants`` is what the tests import)."""
    return Path("mutants") / module.replace("/", ".")


def _meta(module: str) -> dict[str, int | None]:
    path = _root(module) / "mutants" / f"{module}.meta"
    if not path.exists():
        return {}
    codes: dict[str, int | None] = json.loads(path.read_text())["exit_code_by_key"]
    return codes


def run(module: str, *, again: bool = False, only: list[str] | None = None) -> int:
    """Mutate ``module`` and judge every mutant with the module's tests; ``again``: judge
    only the mutants of the last run that were judged and not detected, with the tests as they are
    now (tests added since then are found by mutmut's incremental stats). The module must
    not have changed since that run: its mutants keep their names only for the same code.
    Nor may its ``TESTS`` entry: the test selection is part of mutmut's configuration
    fingerprint, and a new one resets every verdict (``score`` then counts them unchecked).
    ``only``: mutmut's names (``*`` patterns) of the mutants to judge, the rest left
    unchecked: the functions changed since a full run, when a full run takes too long."""
    if module not in TESTS:
        print(f"no test subset for {module}; known: {', '.join(TESTS)}", file=sys.stderr)
        return 2
    repo = Path.cwd().resolve()
    root = _root(module)
    names: list[str] = list(only or [])
    if again:
        # the judged survivors only: after a partial run (``only``) the unchecked mutants
        # (verdict None) stay unchecked, or ``again`` would take a full run's time
        names = sorted(k for k, c in _meta(module).items() if c is not None and c not in DETECTED)
        if not names:
            print(f"{module}: nothing to judge again (run it first, or every mutant was killed)")
            return 0
    else:
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        for entry in repo.iterdir():
            if entry.name not in {"mutants", ".git", ".venv"}:
                (root / entry.name).symlink_to(entry)
    # The numba kernels compile the equation modules' functions: under mutation they run as
    # plain Python (mutmut's dispatch cannot be compiled, and no cached machine code of the
    # unmutated function may answer instead).
    os.environ["NUMBA_DISABLE_JIT"] = "1"
    # The tree under test is ./mutants, never this checkout through PYTHONPATH.
    os.environ.pop("PYTHONPATH", None)
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != repo]
    os.chdir(root)

    from mutmut import __main__ as mutmut_main
    from mutmut.configuration import config

    cfg = config()
    cfg.only_mutate = [module]
    cfg.pytest_add_cli_args_test_selection = list(TESTS[module])
    jobs = os.environ.get("MUTATION_JOBS", "1")
    try:
        mutmut_main.cli(["run", "--max-children", jobs, *names], standalone_mode=False)
    except SystemExit as exc:  # mutmut exits on a failing clean run
        return int(exc.code or 0)
    return 0


def score(modules: list[str]) -> int:
    """Print killed / total per module and list the survivors (0 if every module ran)."""
    rc = 0
    for module in modules:
        codes = _meta(module)
        if not codes:
            print(f"{module}: not measured (run scripts/mutation.sh {module})")
            rc = 1
            continue
        detected = sum(1 for c in codes.values() if c in DETECTED)
        unchecked = sorted(k for k, c in codes.items() if c is None)
        survivors = sorted(k for k, c in codes.items() if c is not None and c not in DETECTED)
        judged = len(codes) - len(unchecked)
        pct = 100.0 * detected / judged if judged else 0.0
        print(f"{module}: {detected} / {judged} killed ({pct:.1f} %)")
        if unchecked:
            print(f"    {len(unchecked)} of {len(codes)} not checked (a run of some, or cut short)")
        for name in survivors:
            reason = EXPLAINED.get(name)
            verdict = f"left: {reason}" if reason else f"exit code {codes[name]}, not looked at"
            print(f"    survived {name} ({verdict})")
    return rc


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "run":
        return run(argv[1], only=argv[2:])
    if len(argv) >= 2 and argv[0] == "again":
        return run(argv[1], again=True)
    if argv and argv[0] == "score":
        return score(argv[1:] or list(TESTS))
    if argv and argv[0] == "modules":
        print("\n".join(TESTS))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
