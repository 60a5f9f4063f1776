"""Deciding: what one recipient may receive of one signal, under a loaded policy.

Semantics (the same words head ``deploy/policy/euregio.toml``):

- A rule FIRES when every attribute of its ``match`` holds and its ``unless`` (if any) does
  not wholly hold. Rules do not stop one another: every rule that fires counts.
- The verdict is the most restrictive verdict of the fired rules that give one
  (deliver < review < deny). If none gives a verdict, the default rule fires: deny.
- Each data class gets the most restrictive outcome among the fired rules that cover it
  (share < generalise < pseudonymise < hold < redact); within one rule, a class it names
  beats its ``"*"``. A class no fired rule covers is redacted.
- A deny redacts every class. A held class (free text) turns deliver into review.

Because restrictive always wins, the order of the rules in the file never matters. The
decision records the fired rules (file order, the default last) with their reasons and legal
bases, and the policy's digest. Deciding is pure: no clock, no I/O, no state.
"""

from __future__ import annotations

from gateway.contract.partners import Partner
from gateway.contract.signal import Signal
from gateway.decide.decision import Decision, Exchange, Forwarded
from gateway.decide.policy.attributes import ATTRIBUTES, values_of
from gateway.decide.policy.compiled import Policy


def decide(
    signal: Signal,
    sender: Partner,
    recipient: Partner,
    policy: Policy,
    *,
    forwarded: Forwarded | None = None,
) -> Decision:
    """The decision for ``recipient`` of ``signal`` from ``sender``.

    ``forwarded`` is the signal that ``signal.in_reply_to`` names, and must be given
    exactly when there is one: without it, a rule on forwarding could not see what is
    forwarded, so its absence is the caller's mistake, not a reason to share.
    """
    if (forwarded is None) != (signal.in_reply_to is None) or (
        forwarded is not None and forwarded.signal_id != signal.in_reply_to
    ):
        raise ValueError("forwarded must be the signal named by in_reply_to, and only that")
    exchange = Exchange(
        sender=sender,
        recipient=recipient,
        purpose=signal.purpose,
        urgency=signal.urgency,
        handling_code=signal.handling_code,
        category=signal.category,
        special_category=signal.special_category_data,
        forwarded=forwarded,
    )
    return decide_exchange(exchange, policy)


def decide_exchange(exchange: Exchange, policy: Policy) -> Decision:
    """The decision for one exchange: the pure core of :func:`decide`."""
    compiled = policy.compiled
    values = values_of(exchange)
    try:
        state = compiled.state(values)
    except KeyError as error:
        unknown = [
            f"{attribute} {value!r}"
            for attribute, column, value in zip(ATTRIBUTES, compiled.columns, values, strict=True)
            if value not in column
        ]
        raise ValueError(f"not in the code lists: {', '.join(unknown)}") from error
    resolution = compiled.resolution(compiled.fired(state))
    return Decision(
        recipient_id=exchange.recipient.id,
        verdict=resolution.verdict,
        outcomes=resolution.outcomes,
        rules=resolution.rules,
        policy_digest=policy.digest,
    )
