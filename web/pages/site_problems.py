"""The site check's problems on a page, in the page's language.

A problem with a message code (:class:`controller.errors.CodedProblem`, such as a recipe's
EC above ``[safety]``) is said from the catalog (``site_check.<code>``); one without is
shown as the site check wrote it, in English. Either way it is framed as a failed site
check (``settings.site_problem``).
"""

from __future__ import annotations

from collections.abc import Mapping

from controller.errors import CodedProblem, ProblemsError
from web.i18n import translate

__all__ = ["coded_problems", "problem_text", "site_problems"]


def coded_problems(exc: ProblemsError) -> dict[str, CodedProblem]:
    """The coded problems of ``exc`` by their English line."""
    return {c.text: c for c in exc.coded}


def problem_text(locale: str, problem: str, coded: Mapping[str, CodedProblem]) -> str:
    """``problem`` (a line of ``problems``) in ``locale``, without the frame."""
    found = coded.get(problem)
    if found is None:
        return problem
    return translate(locale, f"site_check.{found.code}", **found.values)


def site_problems(locale: str, exc: ProblemsError) -> list[str]:
    """Every problem of ``exc`` as the page shows it: framed, in ``locale``."""
    coded = coded_problems(exc)
    return [
        translate(locale, "settings.site_problem", problem=problem_text(locale, p, coded))
        for p in exc.problems
    ]
