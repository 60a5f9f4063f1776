"""Rendering: each recipient reads its view in its own language, formats and time zone.

The expected texts below are written out by hand: what a Walloon police officer and an Aachen
city official read of Maastricht's signal about dumped drug waste.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest
from babel import Locale
from euregate_client import canonical
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.contract.partners import DEMO_NETWORK, Partner
from gateway.contract.signal import Signal
from gateway.decide.decision import DataClass, Decision, FiredRule, Verdict
from gateway.decide.policy import Policy, decide, load_policy, parse_policy
from gateway.infra.i18n import LOCALES_DIR, translate
from gateway.minimise import SUPPORTED_OUTCOMES, RecipientView, apply, pseudonym_key
from gateway.render.labels import label
from gateway.render.renderer import RenderedDocument, class_rules, locale_of, render
from gateway.render.sharing import for_recipient
from gateway.translate.types import Provenance, TranslatedText
from tests.conftest import EXAMPLES, REPO
from tests.strategies import valid_signals

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RECEIVED = datetime(2026, 10, 14, 4, 12, tzinfo=UTC)
SECRET = bytes(range(32))
PARTNERS = {partner.id: partner for partner in DEMO_NETWORK}
REFERENCE = load_policy(REPO / "deploy" / "policy" / "euregio.toml")
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TEXTS = """
[{table}.reason]
nl = "Reden."
fr = "Motif."
de = "Grund."
en = "Reason."

[{table}.legal_basis]
nl = "Grondslag."
fr = "Base légale."
de = "Rechtsgrundlage."
en = "Legal basis."
"""


def policy(rules: str) -> Policy:
    """A deployment's own policy: a default deny (rule 10) and ``rules``, each with its texts."""
    default = '[default]\nid = "10"\ntitle = "Default deny"\n' + TEXTS.format(table="default")
    parts = rules.strip().split("[[rule]]")[1:]
    body = "".join(f"[[rule]]{part}{TEXTS.format(table='rule')}" for part in parts)
    return parse_policy(f"version = 1\n{default}\n{body}".encode())


# Maastricht and Liège police have agreed more than the reference allows (rule 5 of the
# reference denies a municipality's signal to foreign police).
LOCAL_AGREEMENT = policy(
    """
[[rule]]
id = "12"
title = "Maastricht to Liege police, by local agreement"
verdict = "deliver"

[rule.match]
border = "cross"
sender_agency_type = "municipality"
recipient_agency_type = "police"

[rule.outcomes]
"*" = "share"
person_identity = "generalise"
person_national_id = "redact"
vehicle = "pseudonymise"
"""
)


def example() -> Signal:
    document = json.loads((EXAMPLES / "nl-drug-waste-maastricht.json").read_text("utf-8"))
    return Signal.model_validate(document, context={"now": NOW})


def rendered(
    signal: Signal,
    sender: str,
    recipient: Partner | str,
    rules: Policy,
    *,
    translations: Mapping[str, TranslatedText] | None = None,
    with_policy: bool = True,
) -> tuple[RenderedDocument, RecipientView]:
    partner = PARTNERS[recipient] if isinstance(recipient, str) else recipient
    decision = decide(signal, PARTNERS[sender], partner, rules)
    view = apply(signal, decision, pseudonym_key=pseudonym_key(SECRET, partner.id))
    document = render(
        view,
        partner,
        decision,
        translations=translations,
        received_at=RECEIVED,
        policy=rules if with_policy else None,
    )
    return document, view


def fields(document: RenderedDocument) -> dict[str, dict[str, Any]]:
    as_json: Any = document.as_json()
    return {
        item["pointer"]: item
        for section in as_json["sections"]
        for item in section["fields"]
        if item["pointer"] is not None
    }


# --- by hand: what each recipient reads ----------------------------------------------------

LIEGE = """\
Signalement
===========
Reçu le\u00a0: 14 octobre 2026, 06:12
Fuseau horaire\u00a0: Europe/Brussels

Informations générales
----------------------
Version du schéma\u00a0: signal/1.1
Référence de l’expéditeur\u00a0: PL2400-2026-041877
Langue du texte\u00a0: néerlandais
Catégorie\u00a0: déversement de déchets de production de drogues
Urgence\u00a0: urgent\u00a0: agir dans les jours qui suivent
Code de traitement\u00a0: H1 — ne peut servir de preuve en justice sans l’accord de l’expéditeur
Fiabilité de la source\u00a0: B — généralement fiable
Fiabilité de l’information\u00a0: 2 — connue personnellement de la source
Observé le\u00a0: 14 octobre 2026, 05:40
Observé jusqu’au\u00a0: 14 octobre 2026, 06:15
Contient des catégories particulières de données à caractère personnel\u00a0: non
Finalité\u00a0: détection des infractions pénales et enquêtes en la matière

Lieu des faits
--------------
Pays\u00a0: Pays-Bas
Code de commune\u00a0: GM0935
Commune\u00a0: Maastricht
Code postal\u00a0: 6222 NV
Rue\u00a0: Lage Kanaaldijk
Latitude\u00a0: 50,8386
Longitude\u00a0: 5,7008
Ref du lieu\u00a0: L1

Texte
-----
Résumé\u00a0: [tel que rédigé, en néerlandais] Drugsafval (ca. 40 vaten) gedumpt langs de \
Lage Kanaaldijk; bestelbus met Belgisch-Nederlandse bemanning gezien
Description\u00a0: (en attente du contrôle d’un officier de liaison)

Personne P1
-----------
Rôle\u00a0: personne soupçonnée
Nom\u00a0: Verhoeven
Prénoms\u00a0: Roel Mathieu
Date de naissance\u00a0: 1987 (généralisation en application de la règle 12)
Lieu de naissance\u00a0: Sittard
Nationalités\u00a0: Pays-Bas
Sexe\u00a0: masculin

Personne P2
-----------
Rôle\u00a0: témoin
Nom\u00a0: Smeets
Prénoms\u00a0: Annemie
Sexe\u00a0: féminin

Véhicule V1
-----------
Pseudonyme\u00a0: {vehicle} (pseudonymisation en application de la règle 12)

Indicateurs de criminalité déstabilisante
-----------------------------------------
Production et trafic de drogues\u00a0: déversement de déchets de production de drogues \
(constaté le 14 octobre 2026, au lieu L1)
    Des fûts, jerricans ou liquides contenant des déchets de production de drogues de synthèse \
sont déversés dans la nature, le long des routes ou dans les égouts.
Véhicules et transport\u00a0: camionnettes ou camions à des heures inhabituelles \
(constaté le 14 octobre 2026, au lieu L1, concerne V1)
    Des camionnettes ou des camions chargent ou déchargent la nuit ou dans des locaux où un tel \
transport n’est pas attendu.

Application de la politique de partage
--------------------------------------
numéros d’identification nationaux\u00a0: caviardage en application de la règle 12
identité des personnes\u00a0: généralisation en application de la règle 12
véhicules\u00a0: pseudonymisation en application de la règle 12
"""


def test_a_dutch_municipality_s_signal_reads_in_belgian_french_for_liege_police() -> None:
    summary = TranslatedText(
        "Déchets de production de drogues (env. 40 fûts) déversés le long de la Lage "
        "Kanaaldijk ; camionnette avec un équipage belgo-néerlandais aperçue",
        "fr",
        Provenance("human", officer="liaison:be-042", at="2026-10-14T06:30:00Z"),
    )
    held_description = TranslatedText("ne doit jamais apparaître", "fr", Provenance("machine"))
    signal = example()
    without, view = rendered(signal, "nl-gem-maastricht", "be-pol-liege", LOCAL_AGREEMENT)
    assert view.held == ()  # free text is shared under rule 12; held below by hand
    held_view = RecipientView(
        view.recipient_id,
        {k: v for k, v in view.document.items() if k != "description"},
        view.withheld,
        ("/description",),
        view.generalised,
        view.pseudonymised,
    )
    decision = decide(
        signal, PARTNERS["nl-gem-maastricht"], PARTNERS["be-pol-liege"], LOCAL_AGREEMENT
    )
    document = render(
        held_view,
        PARTNERS["be-pol-liege"],
        decision,
        received_at=RECEIVED,
        policy=LOCAL_AGREEMENT,
        translations={"/description": held_description},
    )
    vehicle = view.document["vehicles"][0]["pseudonym"]
    assert (document.language, document.locale, document.time_zone) == (
        "fr",
        "fr_BE",
        "Europe/Brussels",
    )
    assert document.as_text() == LIEGE.format(vehicle=vehicle)
    assert "ne doit jamais" not in json.dumps(document.as_json(), ensure_ascii=False)

    translated = render(
        view, PARTNERS["be-pol-liege"], decision, translations={"/summary": summary}
    )
    shown = fields(translated)["/summary"]
    assert shown["value"] == summary.text
    assert shown["provenance"] == {
        "kind": "human",
        "officer": "liaison:be-042",
        "at": "2026-10-14T06:30:00Z",
    }
    assert shown["origin"] == (
        "traduit (langue source : néerlandais) par l’officier de liaison liaison:be-042"
    )
    assert fields(translated)["/description"]["provenance"] == {"kind": "original"}
    assert fields(translated)["/description"]["origin"] == "texte original en néerlandais"
    assert fields(translated)["/description"]["language"] == "nl"
    assert "Drugsafval" in fields(without)["/summary"]["value"]


AACHEN = """\
Meldung
=======
Eingegangen am: 14. Oktober 2026, 06:12
Zeitzone: Europe/Berlin

Allgemeine Angaben
------------------
Schemaversion: signal/1.1
Aktenzeichen des Absenders: PL2400-2026-041877
Sprache des Textes: Niederländisch
Kategorie: illegale Entsorgung von Drogenabfällen
Dringlichkeit: dringend: innerhalb weniger Tage handeln
Handhabungscode: H1 — ohne Zustimmung des Absenders nicht als Beweismittel vor Gericht zu \
verwenden
Zuverlässigkeit der Quelle: B — in der Regel zuverlässig
Zuverlässigkeit der Information: 2 — der Quelle persönlich bekannt
Beobachtet am: 14. Oktober 2026, 05:40
Beobachtet bis: 14. Oktober 2026, 06:15
Enthält besondere Kategorien personenbezogener Daten: nein
Zweck: Aufdeckung und Ermittlung von Straftaten

Ort des Geschehens
------------------
Staat: Niederlande
Gemeindeschlüssel: GM0935
Gemeinde: Maastricht
Postleitzahl: 6222 (generalisiert gemäß Regel 4)
Breitengrad: 50,84 (generalisiert gemäß Regel 4)
Längengrad: 5,7 (generalisiert gemäß Regel 4)
Ref des Ortes: L1

Text
----
Zusammenfassung: (zur Prüfung durch einen Verbindungsbeamten zurückgehalten)
Beschreibung: (zur Prüfung durch einen Verbindungsbeamten zurückgehalten)

Indikatoren der Unterwanderung durch organisierte Kriminalität
--------------------------------------------------------------
Drogenherstellung und -handel: illegale Entsorgung von Drogenabfällen \
(festgestellt am 14. Oktober 2026, am Ort L1)
    Fässer, Kanister oder Flüssigkeiten mit Abfällen der Herstellung synthetischer Drogen werden \
in der Natur, an Straßen oder in der Kanalisation entsorgt.

Anwendung der Weitergaberegelung
--------------------------------
Identität von Personen: geschwärzt gemäß Regel 4
nationale Identifikationsnummern: geschwärzt gemäß Regel 4
Ausweisnummern: geschwärzt gemäß Regel 4
Fahrzeuge: geschwärzt gemäß Regel 4
Finanzdaten: geschwärzt gemäß Regel 4
genaue Ortsangabe: generalisiert gemäß Regel 4
"""


def test_under_the_reference_policy_the_city_of_aachen_reads_it_in_german() -> None:
    document, view = rendered(example(), "nl-gem-maastricht", "de-stadt-aachen", REFERENCE)
    assert (document.language, document.locale, document.time_zone) == (
        "de",
        "de_DE",
        "Europe/Berlin",
    )
    assert view.held == ("/summary", "/description")
    assert document.as_text() == AACHEN


def test_withheld_classes_name_the_rules_that_withheld_them() -> None:
    document, _ = rendered(example(), "nl-gem-maastricht", "de-stadt-aachen", REFERENCE)
    notices: Any = document.as_json()["notices"]
    assert notices["heading"] == "Anwendung der Weitergaberegelung"
    by_class = {item["data_class"]: item for item in notices["items"]}
    assert by_class["person_identity"] == {
        "data_class": "person_identity",
        "outcome": "redact",
        "label": "Identität von Personen",
        "rules": ["4"],
        "text": "geschwärzt gemäß Regel 4",
    }
    assert by_class["location_precise"]["rules"] == ["4"]
    assert "free_text" not in by_class  # held, not withheld: said at each text


def test_pseudonymised_numbers_name_the_rule_that_pseudonymised_them() -> None:
    signal = example().model_copy(update={"purpose": "prevention"})
    document, view = rendered(signal, "nl-pol-limburg", "be-pol-liege", REFERENCE)
    assert view.pseudonymised == (DataClass.PERSON_NATIONAL_ID,)
    bsn = fields(document)["/persons/0/identifiers/0/pseudonym"]
    assert bsn["label"] == "numéro de service citoyen néerlandais (BSN) (pseudonyme)"
    assert bsn["note"] == "pseudonymisation en application de la règle 2a"
    assert bsn["value"] == view.document["persons"][0]["identifiers"][0]["pseudonym"]
    assert "314159265" not in document.as_text()


def test_without_the_policy_a_class_is_said_to_be_treated_under_every_rule_that_fired() -> None:
    signal = example().model_copy(update={"purpose": "prevention"})
    with_policy, _ = rendered(signal, "nl-pol-limburg", "be-pol-liege", REFERENCE)
    without, _ = rendered(signal, "nl-pol-limburg", "be-pol-liege", REFERENCE, with_policy=False)
    note = "pseudonymisation en application des règles 2, 2a"
    assert fields(without)["/persons/0/identifiers/0/pseudonym"]["note"] == note
    assert fields(with_policy)["/persons/0/identifiers/0/pseudonym"]["note"] != note


def test_a_policy_other_than_the_decision_s_is_not_used_to_name_rules() -> None:
    signal = example()
    decision = decide(signal, PARTNERS["nl-gem-maastricht"], PARTNERS["de-stadt-aachen"], REFERENCE)
    view = apply(signal, decision, pseudonym_key=pseudonym_key(SECRET, "de-stadt-aachen"))
    assert class_rules(view, decision, LOCAL_AGREEMENT) == class_rules(view, decision, None)
    assert set(class_rules(view, decision, None)[DataClass.VEHICLE]) == set(decision.rule_ids)


def test_a_class_no_rule_covers_is_withheld_under_the_default_rule() -> None:
    narrow = policy(
        """
[[rule]]
id = "3c"
title = "Operational data only"
verdict = "deliver"

[rule.match]
border = "cross"

[rule.outcomes]
operational = "share"
organisation = "share"
"""
    )
    document, view = rendered(example(), "nl-pol-limburg", "de-pol-aachen", narrow)
    rules = {item["data_class"]: item["rules"] for item in _notices(document)}
    assert DataClass.VEHICLE in view.withheld
    assert rules["vehicle"] == ["10"]
    assert "organisation" not in rules


def test_classes_withheld_for_special_category_data_name_the_rule_that_withheld_that() -> None:
    careful = policy(
        """
[[rule]]
id = "s1"
title = "Share, but never special categories"
verdict = "review"

[rule.match]
border = "cross"

[rule.outcomes]
"*" = "share"
special_category = "redact"
"""
    )
    signal = example().model_copy(update={"special_category_data": True})
    document, view = rendered(signal, "nl-pol-limburg", "de-pol-aachen", careful)
    rules = {item["data_class"]: item["rules"] for item in _notices(document)}
    assert DataClass.PERSON_IDENTITY in view.withheld
    assert rules["person_identity"] == ["s1"]
    assert rules["special_category"] == ["s1"]
    assert "Verhoeven" not in document.as_text()


def _notices(document: RenderedDocument) -> list[dict[str, Any]]:
    notices: Any = document.as_json()["notices"]
    items: list[dict[str, Any]] = notices["items"]
    return items


EVERYTHING_ACROSS = """
[[rule]]
id = "1"
title = "Everything"
verdict = "deliver"

[rule.match]
border = "cross"

[rule.outcomes]
"*" = "share"
"""
"""A local agreement sharing every class across the border, to show every field."""


# --- languages, locales, numbers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("partner", "locale"),
    [
        ("be-pol-liege", "fr_BE"),
        ("be-pol-lanaken", "nl_BE"),
        ("be-gem-eupen", "de_BE"),
        ("de-pol-aachen", "de_DE"),
        ("nl-pol-limburg", "nl_NL"),
    ],
)
def test_each_recipient_reads_its_country_s_formats(partner: str, locale: str) -> None:
    assert locale_of(PARTNERS[partner]) == locale


def test_english_is_the_english_of_a_euro_area_member_state_and_a_language_abroad_its_own() -> None:
    assert locale_of(Partner("de-bka-en", "BKA liaison", "DE", "police", ("en",))) == "en_IE"
    assert locale_of(Partner("nl-pol-fr", "Politie", "NL", "police", ("fr", "nl"))) == "fr_BE"
    assert locale_of(Partner("de-pol-nl", "Polizei", "DE", "police", ("nl",))) == "nl_NL"


@pytest.mark.parametrize(
    ("partner", "latitude", "observed", "registration"),
    [
        ("be-pol-liege", "50,8386", "14 octobre 2026, 05:40", "Numéro d’immatriculation"),
        ("be-pol-lanaken", "50,8386", "14 oktober 2026, 05:40", "Kenteken"),
        ("de-pol-aachen", "50,8386", "14. Oktober 2026, 05:40", "Kennzeichen"),
        ("be-gem-eupen", "50,8386", "14. Oktober 2026, 05:40", "Kennzeichen"),
    ],
)
def test_numbers_dates_and_field_names_follow_the_reader(
    partner: str, latitude: str, observed: str, registration: str
) -> None:
    everything = policy(EVERYTHING_ACROSS)
    document, _ = rendered(example(), "nl-pol-limburg", partner, everything)
    shown = fields(document)
    assert shown["/location/coordinates/lat"]["value"] == latitude
    assert shown["/location/coordinates/lat"]["code"] == "50.8386"
    assert shown["/observed_at"]["value"] == observed
    assert shown["/observed_at"]["code"] == "2026-10-14T05:40:00+02:00"
    assert shown["/vehicles/0/registration"]["label"] == registration
    assert shown["/vehicles/0/registration"]["value"] == "VK-381-T"


def test_an_english_reader_gets_points_and_the_time_of_its_country() -> None:
    reader = Partner("be-pol-en", "Liaison desk", "BE", "police", ("en",))
    document, _ = rendered(example(), "nl-pol-limburg", reader, REFERENCE)
    shown = fields(document)
    assert shown["/location/coordinates/lat"]["value"] == "50.8386"
    assert shown["/observed_at"]["value"] == "14 October 2026, 05:40"
    assert shown["/category"]["value"] == "dumped drug waste"
    assert document.header[0].value == "14 October 2026, 06:12"  # Brussels, not Dublin
    assert document.time_zone == "Europe/Brussels"


def test_codes_show_their_labels_and_keep_their_codes() -> None:
    document, _ = rendered(example(), "nl-pol-limburg", "be-pol-lanaken", REFERENCE)
    shown = fields(document)
    assert shown["/category"] == {
        "pointer": "/category",
        "label": "Categorie",
        "value": "dumping van drugsafval",
        "provenance": {"kind": "original"},
        "code": "undermining.drug_waste",
    }
    assert shown["/persons/0/nationalities"]["value"] == "Nederland"
    assert shown["/persons/0/identifiers/0/value"]["label"] == "BSN (burgerservicenummer)"
    assert shown["/persons/0/date_of_birth"]["value"] == "2 juni 1987"
    assert shown["/links/0"]["label"] == "bestuurder"
    assert shown["/links/0"]["value"] == "P1 → V1"


def test_the_view_of_another_partner_is_refused() -> None:
    signal = example()
    decision = decide(signal, PARTNERS["nl-pol-limburg"], PARTNERS["de-pol-aachen"], REFERENCE)
    view = apply(signal, decision, pseudonym_key=pseudonym_key(SECRET, "de-pol-aachen"))
    with pytest.raises(ValueError, match="one partner"):
        render(view, PARTNERS["be-pol-liege"], decision)
    with pytest.raises(ValueError, match="aware"):
        render(view, PARTNERS["de-pol-aachen"], decision, received_at=datetime(2026, 1, 1))


# --- for every signal and decision -----------------------------------------------------------


def leaves(value: object) -> Iterator[str]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from leaves(item)
    elif isinstance(value, str):
        yield value


def structure(document: Mapping[str, Any]) -> set[str]:
    found = {link[end] for link in document.get("links", ()) for end in ("from", "to")}
    for member in ("persons", "organisations", "vehicles", "accounts"):
        for entity in document.get(member, ()):
            found |= {entity["ref"], entity.get("holder_ref", "")}
    return found


@cache
def words_of(language: str) -> str:
    """Every word rendering may bring of its own: catalogs, country names, month names."""
    locale = Locale.parse(language)
    catalog = (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").read_text("utf-8")
    months = [
        str(name)
        for context in locale.months.values()
        for width in context.values()
        for name in width.values()
    ]
    return "\n".join([catalog, *map(str, locale.territories.values()), *months]).casefold()


def vocabulary(language: str, view: RecipientView) -> str:
    """What a rendering may show without leaking: its own words and the view's values."""
    own = [view.recipient_id, *leaves(view.document), *view.held]
    return "\n".join([words_of(language), *own]).casefold()


def decisions(recipient: str) -> st.SearchStrategy[Decision]:
    outcomes = {c: st.sampled_from(sorted(SUPPORTED_OUTCOMES[c])) for c in DataClass}
    rules = st.lists(st.sampled_from(("0", "1a", "2", "2a", "3", "4", "6", "7")), unique=True)
    return st.builds(
        lambda chosen, ids, verdict: Decision(
            recipient, verdict, chosen, tuple(FiredRule(i) for i in ids), "0" * 64
        ),
        st.fixed_dictionaries(outcomes),
        rules,
        st.sampled_from((Verdict.DELIVER, Verdict.REVIEW)),
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[Signal, Partner, Decision]:
    signal = Signal.model_validate(draw(valid_signals(NOW)), context={"now": NOW})
    partner = draw(st.sampled_from(DEMO_NETWORK))
    return signal, partner, draw(decisions(partner.id))


@PROPERTY
@given(case=cases(), received=st.datetimes(timezones=st.just(UTC)))
def test_nothing_withheld_or_held_is_rendered_and_rendering_never_fails(
    case: tuple[Signal, Partner, Decision], received: datetime
) -> None:
    signal, partner, decision = case
    view = apply(signal, decision, pseudonym_key=pseudonym_key(SECRET, partner.id))
    document = render(view, partner, decision, received_at=received)
    shown = json.dumps(document.as_json(), ensure_ascii=False) + document.as_text()
    original = signal.model_dump(mode="json", by_alias=True, exclude_none=True)
    known = vocabulary(partner.languages[0], view) + received.isoformat()
    secret = {
        text
        for text in set(leaves(original)) - set(leaves(view.document)) - structure(original)
        if len(text) >= 5 and text.casefold() not in known
    }
    assert [text for text in secret if text in shown] == []


def resolve(document: Any, pointer: str) -> Any:
    for part in pointer.split("/")[1:]:
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document


@PROPERTY
@given(case=cases())
def test_every_field_shown_is_a_member_of_the_view(case: tuple[Signal, Partner, Decision]) -> None:
    signal, partner, decision = case
    view = apply(signal, decision, pseudonym_key=pseudonym_key(SECRET, partner.id))
    document = render(view, partner, decision)
    for item in fields(document).values():
        if item["value"] is None:
            assert item["pointer"] in view.held
            continue
        member = resolve(view.document, item["pointer"])
        if "code" not in item:
            assert item["value"] == member
        elif not isinstance(member, list | dict):
            assert item["code"] in (str(member), repr(member), str(member).lower())
    for notice in _notices(document):
        assert DataClass(notice["data_class"]) in (
            *view.withheld,
            *view.generalised,
            *view.pseudonymised,
        )
        assert notice["rules"] == list(decision.rule_ids)


def test_every_field_name_and_heading_is_translated() -> None:
    document, _ = rendered(example(), "nl-pol-limburg", "be-pol-lanaken", REFERENCE)
    english, _ = rendered(
        example(),
        "nl-pol-limburg",
        Partner("be-pol-en", "Liaison desk", "BE", "police", ("en",)),
        REFERENCE,
    )
    dutch = [f["label"] for f in fields(document).values()]
    source = [f["label"] for f in fields(english).values()]
    untranslated = [
        en for en, nl in zip(source, dutch, strict=True) if en == nl and en not in ("IBAN", "Model")
    ]
    assert untranslated == []
    assert translate("Signal", "nl") == document.title == "Signaal"


SENDERS = {
    "nl-drug-waste-maastricht.json": "nl-pol-limburg",
    "be-cannabis-lanaken.json": "be-pol-lanaken",
    "de-shisha-aachen.json": "de-pol-aachen",
}


@pytest.mark.parametrize(
    ("file", "recipient"),
    [
        (file, partner.id)
        for file, sender in SENDERS.items()
        for partner in DEMO_NETWORK
        if partner.country != PARTNERS[sender].country
    ],
)
def test_a_signal_from_each_country_reads_in_the_language_of_a_recipient_in_each_other(
    file: str, recipient: str
) -> None:
    document = json.loads((EXAMPLES / file).read_text("utf-8"))
    signal = Signal.model_validate(document, context={"now": NOW})
    partner = PARTNERS[recipient]
    language = partner.languages[0]
    shown, _ = rendered(signal, SENDERS[file], recipient, policy(EVERYTHING_ACROSS))
    by_pointer = fields(shown)
    place = Locale.parse(locale_of(partner)).territories[document["location"]["country"]]

    assert (shown.language, shown.locale) == (language, locale_of(partner))
    assert by_pointer["/category"]["value"] == label("category", document["category"], language)
    assert by_pointer["/location/country"]["value"] == place
    assert by_pointer["/observed_at"]["value"] in shown.as_text()
    assert document["category"] not in shown.as_text()


@PROPERTY
@given(case=cases(), others=st.lists(st.sampled_from(sorted(PARTNERS)), min_size=1, max_size=4))
def test_a_rendering_handed_to_other_recipients_encodes_as_if_rendered_for_each(
    case: tuple[Signal, Partner, Decision], others: list[str]
) -> None:
    """The courier encodes a rendering shared by several copies once but for the recipient's
    id: each copy's canonical document and text are those of its own document."""
    signal, partner, decision = case
    view = apply(signal, decision, pseudonym_key=pseudonym_key(SECRET, partner.id))
    document = render(view, partner, decision, received_at=RECEIVED)
    for recipient_id in [partner.id, *others, partner.id]:
        copy = for_recipient(document, recipient_id)
        assert copy.recipient_id == recipient_id
        assert copy.canonical_json() == canonical.dumps(copy.as_json())
        assert copy.canonical_text() == canonical.dumps(copy.as_text())
        assert copy == replace(document, recipient_id=recipient_id)
