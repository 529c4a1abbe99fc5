"""The site check's problems on a page, in the page's language.

A problem with a message code (:class:`controller.errors.CodedProblem`, such as a recipe's
EC above ``[safety]``) is said from the catalog (``site_check.<code>``); one without is
shown as the site check wrote it, in English. Either way it is framed as a failed site
check (``settings.site_problem``). The schema's problems (a bound, a type, a key missing:
:mod:`controller.config.schema_problems`) are coded ``schema.<type>`` naming the field, by
the label of its form field where the settings or soil page has one
(:mod:`web.pages.field_labels`), else by its key path; the recipe form says its own
fields' the same way. :func:`say` fills any coded message (a
crop observation's refusal too), naming crops, stages and periods as the pages name them.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic_core import ErrorDetails

from controller.config.schema_problems import SCHEMA_TYPES
from controller.errors import CodedProblem, ProblemsError
from web.i18n import catalog, translate
from web.pages.field_labels import labelled

__all__ = [
    "choices",
    "coded_problems",
    "problem_text",
    "problems_text",
    "say",
    "say_schema",
    "site_problems",
]

# a problem's values that name a crop or a stage -> the catalog's prefix for their names
NAMED_VALUES = {
    "crop": "crop.",
    "stage": "phenology.stage_",
    "other_stage": "phenology.stage_",
    "period": "period.",
    "alarm": "alarm_code.",
}


def say(locale: str, key: str, coded: CodedProblem) -> str:
    """The catalog's message ``key`` filled with ``coded``'s values, a crop or a stage by
    its name in ``locale`` (a name the catalog lacks, such as an unknown crop, as given);
    a list of choices (``expected``) joined in ``locale``."""
    names = catalog(locale)
    values = {
        k: names.get(f"{NAMED_VALUES[k]}{v}", v) if k in NAMED_VALUES else v
        for k, v in coded.values.items()
    }
    if "expected" in values:
        values["expected"] = choices(locale, values["expected"])
    return translate(locale, key, **values)


def choices(locale: str, expected: str) -> str:
    """pydantic's list of allowed values (``"'et', 'sensor' or 'manual'"``) joined in
    ``locale`` (``site_check.choice_sep``, ``site_check.choice_or``); a bound that is no
    list (``expected`` of another check) as it is."""
    head, said_or, last = expected.rpartition(" or ")
    if not said_or:
        return expected
    items = [*head.split(", "), last]
    sep = translate(locale, "site_check.choice_sep")
    return sep.join(items[:-1]) + translate(locale, "site_check.choice_or") + items[-1]


def say_schema(locale: str, err: ErrorDetails, field: str) -> str | None:
    """A pydantic error of a form or a request (``err``) about ``field`` (as the page names
    it) in ``locale``, from the same messages as the site check's schema problems; ``None``
    for a type they do not cover."""
    if err["type"] not in SCHEMA_TYPES:
        return None
    ctx = {k: f"{v:g}" if isinstance(v, float) else v for k, v in (err.get("ctx") or {}).items()}
    if isinstance(ctx.get("expected"), str):
        ctx["expected"] = choices(locale, ctx["expected"])
    return translate(locale, f"site_check.schema.{err['type']}", field=field, **ctx)


def coded_problems(exc: ProblemsError) -> dict[str, CodedProblem]:
    """The coded problems of ``exc`` by their English line."""
    return {c.text: c for c in exc.coded}


def problem_text(locale: str, problem: str, coded: Mapping[str, CodedProblem]) -> str:
    """``problem`` (a line of ``problems``) in ``locale``, without the frame."""
    found = coded.get(problem)
    if found is None:
        return problem
    return say(locale, f"site_check.{found.code}", labelled(locale, found))


def problems_text(locale: str, exc: ProblemsError) -> str:
    """Every problem of ``exc`` in ``locale``, unframed, on one line (a flash message's
    reason)."""
    coded = coded_problems(exc)
    return " ".join(problem_text(locale, p, coded) for p in exc.problems)


def site_problems(locale: str, exc: ProblemsError) -> list[str]:
    """Every problem of ``exc`` as the page shows it: framed, in ``locale``."""
    coded = coded_problems(exc)
    return [
        translate(locale, "settings.site_problem", problem=problem_text(locale, p, coded))
        for p in exc.problems
    ]
