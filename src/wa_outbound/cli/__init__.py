"""The command line: `python -m wa_outbound` (or `wa-outbound`).

Commands:

* `demo [--json]`: a short story of one customer, with each send decision explained.
* `rules [--at DATE] [--json]`: the platform rules in force at DATE (default: now), with sources.
* `rules --diff DATE DATE [--json]`: what changed between two instants (value, date, source).
* `limits [--at DATE] [--limit L] [--verified] [--used N] [--quality Q] [--status S]
  [--target N] [--json]`: the messaging limit in force, what blocks the next tier, and a
  ramp-up plan.
* `plan RECIPIENTS.csv --template-kind KIND [--start DATE] [--limit L] [--verified]
  [--rates CARD.csv [--effective-from DATE]] [--assume-opted-in] [--strict]
  [--bad-rows FILE.csv] [--json]`: plan a campaign: waves within the messaging limit, blocked
  recipients by reason, bad rows by cause, tier upgrades and what blocks them, finish time
  and cost.
* `rates [--market M] [--at DATE] [--currency C] [--rates CARD.csv] [--json]`: the prices in
  force for a market (a region code or a Meta market) or every market, with sources;
  `rates --diff DATE DATE [--market M]`: what got dearer, cheaper, or unknown.
* `lint FILE [FILE ...] [--at DATE] [--json]`: lint Graph API JSON templates (one template, a
  list, or a list-templates response per file; `-` reads standard input) against the rules in
  force at DATE; exits 1 if any template has an error, 3 if a file cannot be read.
* `state DB [--recipient ID] [--template NAME:LANGUAGE] [--account] [--business ID]
  [--at DATE] [--json]`: what a `SenderState`'s SQLite store knows (a conversation, a
  template, the account health) and, for a recipient, what may be sent now and why not.
* `emulate --port N [--host 127.0.0.1] [--seed S] [--faults SPEC] [--template FILE]`: serve
  the Cloud API and Twilio emulator, rules included, on loopback (the `emulator` extra).

Text output uses `rich` (the `cli` extra); `--json` output needs nothing beyond the core. The
command line and the transports are the only places that read the clock, through the
injectable `clock` argument of `main`. Every failure ends with one line on standard error and
a documented status (`_main.EXIT_STATUSES`: 1 findings, 2 usage, 3 input, 70 internal, 130
interrupted, 141 output closed), never a traceback; what a user typed or a file held is shown
with `_common.escape`, never read as console markup.

Layout: `_main` holds `main`, the parser, the dispatch and the exit statuses; `_common` what
several commands share (the `Command` contract, the console, JSON output, dates, `--limit`,
text in words: counts, money, durations, enum members, the clocks of a decision); each command is
one module, `_demo`, `_rules`, `_limits`, `_lint`, `_plan`, `_rates`, `_state`.

Adding a command (say `emulate`): write `cli/_emulate.py` with the three names of `Command`
(`HELP`, the one line `--help` shows; `add_arguments(parser)`; `run(args, out, clock)`, which
returns the exit status and raises `WaOutboundError` for bad input; `_common.EXIT_INPUT` and
`EXIT_FINDINGS` name the statuses), then register it with one
line, `"emulate": _emulate,` in `COMMANDS` in `_main.py` (and `_emulate` in the import above
it).
mypy checks the module against `Command`; import what only the command needs inside `run`,
so the other commands start no slower.
"""

from wa_outbound.cli._demo import DEMO_STORY, DemoStep
from wa_outbound.cli._main import main

__all__ = ["DEMO_STORY", "DemoStep", "main"]
