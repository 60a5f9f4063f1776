"""The words of the staff pages, in the viewer's language.

Templates write their texts in English as ``_("...")``; each of those texts is listed in
:data:`TEMPLATE_MESSAGES` with :func:`~gateway.i18n.N_`, so that Babel extracts it into the
catalogs (``tests/test_web_texts.py`` keeps the two lists the same).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from gateway.i18n import N_, translate
from gateway.staff import Role
from gateway.web.page_texts import PAGE_MESSAGES

ROLE_LABELS: Final[Mapping[Role, str]] = MappingProxyType(
    {
        Role.LIAISON_OFFICER: N_("liaison officer"),
        Role.COMPLIANCE: N_("compliance staff"),
        Role.ADMINISTRATOR: N_("administrator"),
    }
)

TEMPLATE_MESSAGES: Final = (
    N_("Skip to the content"),
    N_("staff pages"),
    N_("Main menu"),
    N_("Signed in as {name} ({role}, desk {desk})"),
    N_("Sign out"),
    N_("Language"),
    N_("Times are shown in the time zone {zone}."),
    N_("Request {id}"),
    N_("Error {status}"),
    N_("Go to the start page"),
    N_("Start"),
    N_("Welcome, {name}"),
    N_("There are no pages for your role here yet."),
    N_("Sign in"),
    N_("Login name"),
    N_("Password"),
    N_("Code from your authenticator app"),
    N_("Six digits; a new code every 30 seconds."),
    N_("Message for {recipient}"),
    N_("Back to the review queue"),
    N_("Sender"),
    N_("Recipient"),
    N_("Urgency"),
    N_("Deadline"),
    N_("none"),
    N_("Waiting for"),
    N_("since {moment}"),
    N_("Why it waits"),
    N_("Decision of the sharing rules"),
    N_("The original beside the recipient's rendering"),
    N_("Glossary terms are marked; each mark's tooltip gives the glossary's translation."),
    N_("Original ({language})"),
    N_("What {recipient} will read ({language})"),
    N_("Correct and release"),
    N_(
        "Change a text only where the translation is wrong; the translation memory keeps what "
        "you change for the next message."
    ),
    N_("Now: {provenance}"),
    N_("held by the sharing rules: goes to the recipient only when you release it"),
    N_("Text for the recipient ({language})"),
    N_("Release to {recipient}"),
    N_("Reject"),
    N_("Reason for the sender"),
    N_("Reject the message for {recipient}"),
    N_("What the sharing rules removed or changed, and why"),
    N_("Data classes the recipient does not receive as written"),
    N_("Data class"),
    N_("Treatment"),
    N_("Rule"),
    N_("Legal basis"),
    N_("The rules removed nothing from this message."),
    N_("Rules that applied"),
    N_("Rule {id}"),
    N_("Legal basis: {basis}"),
    N_("Review queue"),
    N_("Messages waiting at desk {desk}, most pressing first"),
    N_("Message"),
    N_("overdue"),
    N_("Review"),
    N_("message from {sender} for {recipient}"),
    N_("Nothing waits at your desk."),
    *PAGE_MESSAGES,
)


class Texts:
    """``_`` in the templates: a message in one language, its placeholders filled in."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, message: str, /, **params: object) -> str:
        return translate(message, self.language, **params)
