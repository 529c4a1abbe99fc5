"""English records read back by their templates (controller.runtime.recorded): each template
written with a value of its own per field must read back as its code with those values."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from controller.runtime.recorded import RecordedPart

__all__ = ["assert_templates_read_back"]


def assert_templates_read_back(
    templates: Mapping[str, str], read: Callable[[str], RecordedPart]
) -> None:
    """Every template of ``templates`` written with ``1.5``, ``2.5``, ... (numbers, which a
    field of any text reads too) is read by ``read`` as its code and those values; a text no
    template knows has no code."""
    for code, template in templates.items():
        names = template.split("{")[1:]
        values = {n.split("}")[0]: f"{i + 1}.5" for i, n in enumerate(names)}
        part = read(template.format(**values))
        assert (part.code, part.values) == (code, values), code
    unknown = read("the moon was full")
    assert (unknown.code, unknown.text, unknown.values) == ("", "the moon was full", {})
