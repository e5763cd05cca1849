"""Test tools for code that uses `wa_outbound`: Hypothesis strategies for its values.

Needs the `testing` extra (`pip install 'wa_outbound[testing]'`); importing `wa_outbound`
itself never imports Hypothesis.

Example:
    >>> from hypothesis import given
    >>> from wa_outbound.testing import conversations
    >>> @given(conversations())
    ... def test_round_trip(conversation): ...
"""

from wa_outbound.testing._strategies import (
    account_facts,
    account_healths,
    conversations,
    facts,
    graph_templates,
    instants,
    phone_number_ids,
    recipients,
    template_facts,
    template_states,
    templates,
    wa_ids,
)

__all__ = [
    "account_facts",
    "account_healths",
    "conversations",
    "facts",
    "graph_templates",
    "instants",
    "phone_number_ids",
    "recipients",
    "template_facts",
    "template_states",
    "templates",
    "wa_ids",
]
