"""The command line: `python -m wa_outbound` (or `wa-outbound`)."""

from wa_outbound.cli._main import DEMO_STORY, DemoStep, main

__all__ = ["DEMO_STORY", "DemoStep", "main"]
