"""`python -m wa_outbound`: the command-line interface (see `wa_outbound.cli`)."""

from wa_outbound.cli import main

raise SystemExit(main())
