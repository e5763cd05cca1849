"""Facts name their owner: a wrapped fact is applied to its own machine and refused by others."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_outbound import (
    AccountHealth,
    Conversation,
    Fact,
    InboundMessageReceived,
    InvalidTransition,
    OptOutReceived,
    PhoneNumberId,
    Provider,
    SendRejected,
    WaId,
    rules_at,
)
from wa_outbound.account import PhoneNumberStatus, PhoneNumberStatusChanged
from wa_outbound.templates import TemplateState, TemplateStatusChanged
from wa_outbound.testing import facts, phone_number_ids, recipients
from wa_outbound.webhooks import AccountFactFor, ConversationFactFor, TemplateFactFor

from .conftest import T0

H = timedelta(hours=1)
SHOP = PhoneNumberId("106540352242922")
OTHER_SHOP = PhoneNumberId("106540352242999")
ANA = WaId("4915123456789")
BEN = WaId("4915198765432")


def test_a_matching_wrapper_is_applied_as_its_fact(conversation: Conversation) -> None:
    """The webhooks' `ConversationFactFor` for this conversation is unwrapped and applied."""
    fact = InboundMessageReceived(at=T0)
    item = ConversationFactFor(business=SHOP, recipient=ANA, fact=fact)
    assert conversation.apply(fact) == conversation.apply(item)


def test_a_131047_for_another_recipient_closes_no_window() -> None:
    """The issue's example: a 131047 for recipient A is refused by recipient B's conversation."""
    ben = Conversation(business=SHOP, recipient=BEN).apply(InboundMessageReceived(at=T0))
    closed = SendRejected(at=T0 + H, provider=Provider.META, code=131047)
    item = ConversationFactFor(business=SHOP, recipient=ANA, fact=closed)
    with pytest.raises(InvalidTransition) as caught:
        ben.apply(item)
    assert (ben, item) == (caught.value.state, caught.value.fact)
    assert str(ANA.value) in caught.value.reason
    assert str(BEN.value) in caught.value.reason
    assert ben.service_window_expires_at(rules_at(T0)) == T0 + 24 * H


def test_a_fact_for_another_business_number_is_refused(conversation: Conversation) -> None:
    """The error names both business numbers."""
    item = ConversationFactFor(business=OTHER_SHOP, recipient=ANA, fact=OptOutReceived(at=T0))
    with pytest.raises(InvalidTransition, match=OTHER_SHOP.value) as caught:
        conversation.apply(item)
    assert SHOP.value in caught.value.reason


def test_any_object_with_business_recipient_and_fact_is_a_wrapper(
    conversation: Conversation,
) -> None:
    """The core recognises the wrapper by its attributes: a host's own works too."""
    fact = InboundMessageReceived(at=T0)
    own = SimpleNamespace(business=SHOP, recipient=ANA, fact=fact)
    assert conversation.apply(fact) == conversation.apply(own)


@pytest.mark.parametrize(
    "item",
    [
        SimpleNamespace(business=SHOP, recipient=ANA, fact="hello"),
        SimpleNamespace(business=SHOP, fact=InboundMessageReceived(at=T0)),
        SimpleNamespace(recipient=ANA, fact=InboundMessageReceived(at=T0)),
        SimpleNamespace(business=SHOP, recipient=ANA),
        SimpleNamespace(
            business=SHOP,
            recipient=ANA,
            fact=TemplateStatusChanged(at=T0, event="APPROVED"),
        ),
    ],
)
def test_a_wrapper_without_a_conversation_fact_is_refused(
    conversation: Conversation, item: object
) -> None:
    """A wrapper missing an owner, or holding no conversation fact, is not a conversation fact."""
    with pytest.raises(InvalidTransition, match="not a conversation fact"):
        conversation.apply(item)  # type: ignore[arg-type]


def test_apply_all_takes_wrapped_and_bare_facts(conversation: Conversation) -> None:
    """A webhook batch's items and a host's own facts mix in one `apply_all`."""
    first, second = InboundMessageReceived(at=T0), OptOutReceived(at=T0 + H)
    wrapped = ConversationFactFor(business=SHOP, recipient=ANA, fact=first)
    assert conversation.apply_all([first, second]) == conversation.apply_all([wrapped, second])


@given(st.data(), facts())
def test_a_wrapper_is_applied_exactly_when_it_names_the_conversation(
    data: st.DataObject, fact: Fact
) -> None:
    """Applied like its fact when both owners match; refused, changing nothing, otherwise."""
    business, other_business = data.draw(phone_number_ids()), data.draw(phone_number_ids())
    recipient, other_recipient = data.draw(recipients()), data.draw(recipients())
    c = Conversation(business=business, recipient=recipient)
    named_business = data.draw(st.sampled_from([business, other_business]))
    named_recipient = data.draw(st.sampled_from([recipient, other_recipient]))
    item = ConversationFactFor(business=named_business, recipient=named_recipient, fact=fact)
    if (named_business, named_recipient) == (business, recipient):
        assert c.apply(fact) == c.apply(item)
    else:
        with pytest.raises(InvalidTransition):
            c.apply(item)


# --- templates ------------------------------------------------------------------------------


def template_item(
    fact: TemplateStatusChanged,
    template_id: str = "1234567890",
    name: str = "winter_sale",
    language: str = "en_US",
) -> TemplateFactFor:
    """The webhooks' wrapper of a template fact."""
    return TemplateFactFor(
        waba_id="102290129340398",
        template_id=template_id,
        template_name=name,
        language=language,
        fact=fact,
    )


WINTER = TemplateState(template_id="1234567890", name="winter_sale", language="en_US")
APPROVED = TemplateStatusChanged(at=T0, event="APPROVED")


@pytest.mark.parametrize(
    "item",
    [
        template_item(APPROVED),
        template_item(APPROVED, name="", language=""),
        template_item(APPROVED, name="winter_sale", language=""),
    ],
)
def test_a_matching_template_wrapper_is_applied(item: TemplateFactFor) -> None:
    """Same id, and the same name and language where the webhook gives them."""
    assert WINTER.apply(APPROVED) == WINTER.apply(item)


def test_a_template_state_without_name_takes_any_name() -> None:
    """A state that does not know its name or language compares the id only."""
    bare = TemplateState(template_id="1234567890")
    assert bare.apply(APPROVED) == bare.apply(template_item(APPROVED))


@pytest.mark.parametrize(
    ("item", "named"),
    [
        (template_item(APPROVED, template_id="999"), "'999'"),
        (template_item(APPROVED, name="summer_sale"), "summer_sale"),
        (template_item(APPROVED, language="pt_BR"), "pt_BR"),
    ],
)
def test_a_fact_for_another_template_is_refused(item: TemplateFactFor, named: str) -> None:
    """Another id, name or language: refused, and the error names both templates."""
    with pytest.raises(InvalidTransition, match=named) as caught:
        WINTER.apply(item)
    assert "winter_sale" in caught.value.reason
    assert "1234567890" in caught.value.reason


def test_a_template_wrapper_without_a_template_fact_is_refused() -> None:
    """A wrapper holding a conversation fact is not a template fact."""
    item = SimpleNamespace(template_id="1234567890", fact=InboundMessageReceived(at=T0))
    with pytest.raises(InvalidTransition, match="not a template fact"):
        WINTER.apply(item)


# --- account health -------------------------------------------------------------------------

FLAGGED = PhoneNumberStatusChanged(at=T0, status=PhoneNumberStatus.FLAGGED)


def test_the_webhooks_account_wrapper_is_applied_as_it_comes() -> None:
    """Meta names the account and the displayed number, not the id: nothing to compare."""
    health = AccountHealth(phone_number_id=SHOP)
    item = AccountFactFor(
        waba_id="102290129340398", display_phone_number="15550001111", fact=FLAGGED
    )
    assert health.apply(FLAGGED) == health.apply(item)


def test_a_wrapper_naming_a_phone_number_id_is_checked() -> None:
    """A host's wrapper with a phone number id is applied to that number's health only."""
    health = AccountHealth(phone_number_id=SHOP)
    mine = SimpleNamespace(phone_number_id=SHOP, fact=FLAGGED)
    assert health.apply(FLAGGED) == health.apply(mine)
    theirs = SimpleNamespace(phone_number_id=OTHER_SHOP, fact=FLAGGED)
    with pytest.raises(InvalidTransition, match=OTHER_SHOP.value) as caught:
        health.apply(theirs)
    assert SHOP.value in caught.value.reason
    assert AccountHealth().apply(FLAGGED) == AccountHealth().apply(theirs)


def test_an_account_wrapper_without_an_account_fact_is_refused() -> None:
    """A wrapper holding a conversation fact is not an account health fact."""
    item = SimpleNamespace(fact=InboundMessageReceived(at=T0))
    with pytest.raises(InvalidTransition, match="not an account health fact"):
        AccountHealth().apply(item)
