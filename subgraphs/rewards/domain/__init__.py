"""The rewards engine's rules, one concept a module, no I/O:

- `basket`: baskets as the channels send them, and what may be stored.
- `campaigns`: campaigns as data (trigger, condition, schedule, order, audience, caps,
  budgets, A/B variants, versions).
- `effects`: the effect specs marketers write, checked at upsert.
- `members`: the member as the engine sees them when it decides.
- `coupons`: codes, their states, why one cannot be redeemed.
- `offers`: what a triggered campaign offers one member, and why; accept, decline, expire.
- `catalogue`: the rewards catalogue members spend points on.
- `evaluation`: the engine: basket and member in, effects out.
- `limits`: the checkout limits past which a supervisor rings up.
- `returns`: what a return takes back, per line.
- `postings`: the saga's retry schedule.

The names below are the ones the handlers use most, re-exported for them.
"""
from . import (
    basket,
    campaigns,
    catalogue,
    coupons,
    effects,
    evaluation,
    limits,
    members,
    messages,
    offers,
    postings,
    returns,
)
from .basket import (
    Basket,
    BasketLine,
    check_occurred_at,
    money,
    purchase_description,
    return_description,
    validate_basket,
    validate_external_id,
)
from .evaluation import (
    Context,
    Effect,
    EffectKind,
    Evaluation,
    LineResult,
    earning_lines,
    evaluate,
    evaluation_facts,
    evaluation_from_facts,
    same_basket,
)
from .limits import CheckoutLimits, limit_breaches
from .postings import retry_after
from .returns import ReturnedLine, ReturnRequest, allocate_return, line_refund, line_reversal, return_facts

__all__ = [
    "Basket", "BasketLine", "CheckoutLimits", "Context", "Effect", "EffectKind", "Evaluation", "LineResult",
    "ReturnRequest", "ReturnedLine", "allocate_return", "basket", "campaigns", "check_occurred_at", "coupons",
    "earning_lines", "effects", "evaluate", "evaluation", "evaluation_facts", "evaluation_from_facts", "limit_breaches",
    "limits", "line_refund", "offers", "catalogue", "line_reversal", "members", "messages", "money", "postings", "purchase_description",
    "retry_after", "return_description", "return_facts", "returns", "same_basket", "validate_basket",
    "validate_external_id",
]
