"""Prices: rate cards, Meta's markets, and what a send costs.

Rate cards by category, market and date (with volume tiers and prices that ended), Meta's dated
map from a recipient's country to its market, the authentication-international rule, and the
cost of a send under the pricing model in force (per conversation until 2025-06-30, per message
since 2025-07-01).

`RateCard`, `load_rate_card`, `builtin_rate_card`, `CostEstimate` and `estimate_cost` are also
at the top level of `wa_outbound`.
"""

from wa_outbound._cost import (
    ConversationCharges,
    CostEstimate,
    CostReason,
    estimate_cost,
    price_category,
)
from wa_outbound._groups import GroupCost
from wa_outbound._persistence import dump_charges, load_charges
from wa_outbound._rates import (
    InternationalRate,
    MarketEntry,
    MarketMap,
    PriceCategory,
    PriceEnd,
    Rate,
    RateCard,
    RateChange,
    authentication_international,
    authentication_international_countries,
    builtin_market_map,
    builtin_rate_card,
    load_market_map,
    load_rate_card,
    recipient_market,
    recipient_region,
)

__all__ = [
    "ConversationCharges",
    "CostEstimate",
    "CostReason",
    "GroupCost",
    "InternationalRate",
    "MarketEntry",
    "MarketMap",
    "PriceCategory",
    "PriceEnd",
    "Rate",
    "RateCard",
    "RateChange",
    "authentication_international",
    "authentication_international_countries",
    "builtin_market_map",
    "builtin_rate_card",
    "dump_charges",
    "estimate_cost",
    "load_charges",
    "load_market_map",
    "load_rate_card",
    "price_category",
    "recipient_market",
    "recipient_region",
]
