"""`Shown`: the mixin that lets a value render in notebooks and terminals from one report.

A value inherits `Shown` and defines `_report` (a `wa_outbound._render.Report`); Jupyter's
`_repr_markdown_` / `_repr_html_` and rich's `__rich__` turn that one report into each form.
The renderers are imported on first use, so importing a value module costs nothing for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wa_outbound._render import Report

__all__ = ["Shown"]


class Shown:
    """Mixin: a value that says what it shows once (`_report`) renders it three ways."""

    __slots__ = ()

    def _report(self) -> Report:
        """What every rendering shows."""
        raise NotImplementedError

    def _repr_markdown_(self) -> str:
        """The value as Markdown (Jupyter)."""
        from wa_outbound._render import report_markdown  # noqa: PLC0415 - on first use

        return report_markdown(self._report())

    def _repr_html_(self) -> str:
        """The value as HTML (Jupyter)."""
        from wa_outbound._render import report_html  # noqa: PLC0415 - on first use

        return report_html(self._report())

    def __rich__(self) -> Any:  # noqa: ANN401 - a rich renderable; rich is optional
        """The value for a `rich` console (terminals; needs the `cli` extra)."""
        from wa_outbound._render import report_rich  # noqa: PLC0415 - on first use

        return report_rich(self._report())
