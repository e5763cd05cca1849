"""Store a `Conversation` as JSON-compatible data and load back an equal value.

The format is plain JSON types: instants as ISO 8601 strings in UTC, enums by their value,
identities as strings, and a `format` / `version` header so that stored documents can be
migrated later (`_wire.check_header` decides what a version gets). Loading is strict: a
missing or unknown field, a naive instant, an unknown enum value or an invalid identity
raises `StoredDataError` naming the field path; nothing is silently defaulted.

The converter is the wire module's (`_wire.make_converter`) with its defaults: every field
required, unknown keys refused. cattrs is imported on first use, which keeps
`import wa_outbound` cheap.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Final

from wa_outbound import _wire
from wa_outbound._conversation import Conversation
from wa_outbound._errors import StoredDataError

if TYPE_CHECKING:
    import cattrs

__all__ = ["FORMAT", "VERSION", "dump_conversation", "load_conversation"]

FORMAT: Final = "wa_outbound.conversation"
"""The `format` header of a stored conversation."""
VERSION: Final = 1
"""The `version` header this release writes."""
_STORED: Final = _wire.StoredFormat(name=FORMAT, version=VERSION)  # no migration: 1 is the first


@functools.cache
def _converter() -> cattrs.Converter:
    return _wire.make_converter()


def dump_conversation(conversation: Conversation) -> dict[str, Any]:
    """Return `conversation` as JSON-compatible data (dicts, lists, strings, `None`).

    `json.dumps(dump_conversation(c))` is the usual way to store it.
    """
    data = _wire.header(_STORED)
    data.update(_converter().unstructure(conversation, Conversation))
    return data


def load_conversation(data: object) -> Conversation:
    """Return the `Conversation` stored by `dump_conversation`; equal to the one dumped.

    Raises:
        StoredDataError: The data is not a stored conversation of a version this release
            reads, or a field is missing, unknown or invalid; the error names the field path
            and its value.
    """
    body = _wire.check_header(data, _STORED)
    return _wire.structure(_converter(), body, Conversation, StoredDataError)
