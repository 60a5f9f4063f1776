"""Moments shown to a person: in their time zone (Europe/Brussels unless ``--tz`` says
otherwise), written the way their language writes dates, with the zone named."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime

from gateway.edges.cli.language import HELP_LANGUAGE
from gateway.infra.i18n import N_, translate
from gateway.render.renderer import LANGUAGE_LOCALES

DEFAULT_ZONE: Final = "Europe/Brussels"
UNKNOWN_ZONE: Final = N_("{zone} is not a time zone; give one such as Europe/Brussels or UTC")


def add_time_zone(parser: argparse.ArgumentParser) -> None:
    """``--tz ZONE``: the time zone times are shown in."""
    parser.add_argument(
        "--tz",
        dest="time_zone",
        type=time_zone,
        default=ZoneInfo(DEFAULT_ZONE),
        metavar="ZONE",
        help=N_("the time zone times are shown in (default: Europe/Brussels)"),
    )


def time_zone(name: str) -> ZoneInfo:
    """The zone ``name`` (an IANA name such as ``Europe/Berlin``), or argparse's refusal."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise argparse.ArgumentTypeError(
            translate(UNKNOWN_ZONE, HELP_LANGUAGE.get(), zone=name)
        ) from exc


def shown(moment: datetime, language: str, zone: ZoneInfo) -> str:
    """``moment`` to the minute in ``zone``, in ``language``'s short form, with the zone's
    abbreviation: ``05-12-2026 14:03 CET`` in Dutch; English as written in Europe
    (``05/12/2026, 14:03 CET``, the gateway's English locale: :data:`LANGUAGE_LOCALES`), not
    as in the United States."""
    local = moment.astimezone(zone)
    locale = LANGUAGE_LOCALES[language] if language == "en" else language
    return f"{format_datetime(local, 'short', locale=locale)} {local.tzname()}"


def shown_text(stamp: str, language: str, zone: ZoneInfo) -> str:
    """A moment the gateway wrote in RFC 3339 (``2026-12-05T13:03:00Z``), shown; anything
    else as it is."""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return stamp if moment.tzinfo is None else shown(moment, language, zone)
