"""Administrators' commands: ``init``, ``partner`` and ``cert``."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from babel.dates import format_date

from gateway.contract.partners import Certificate, CertificateState, Partner, PartnerState
from gateway.edges.cli import keys, witness_keys
from gateway.edges.cli.common import (
    Handler,
    Subparsers,
    add_data_dir,
    cli_actor,
    code_label,
    headings,
    layout,
    open_store,
    output_language,
    print_table,
    settings,
)
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.infra.errors import RegistryError
from gateway.infra.expiry import soonest_first
from gateway.infra.i18n import N_, translate
from gateway.registry import datadir, production
from gateway.registry.admin.certificates import (
    issue_certificate,
    issue_webhook_certificate,
    revoke_certificate,
)
from gateway.registry.admin.gateway_certificates import (
    certificates_due,
    renew_gateway_certificates,
)
from gateway.registry.admin.partners import (
    add_partner,
    change_partner_state,
    change_webhook,
    webhook_problems,
)


def register(commands: Subparsers) -> None:
    _register_init(commands)
    _register_partner(commands)
    _register_cert(commands)


# --- init -------------------------------------------------------------------------------------


def _register_init(commands: Subparsers) -> None:
    parser = commands.add_parser("init", help=N_("create a data directory (keeps an existing one)"))
    add_data_dir(parser)
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--demo", action="store_true", help=N_("also enrol the demo network"))
    kind.add_argument(
        "--production",
        action="store_true",
        help=N_(
            "no demo partners; every directory 0700 and every file 0600 (the data "
            "directory of an installed service, such as /var/lib/euregate)"
        ),
    )
    parser.add_argument(
        "--owner",
        metavar="USER",
        default=None,
        help=N_(
            "with --production, run as root: give the data directory to this account "
            "(such as euregate)"
        ),
    )
    _add_server_names(
        parser,
        N_(
            "a DNS name or IP address for the server certificate "
            "(repeatable; default: localhost, 127.0.0.1, ::1)"
        ),
    )
    parser.set_defaults(handler=run_init)


def _add_server_names(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument(
        "--server-name", action="append", dest="server_names", metavar="NAME", help=text
    )


async def run_init(args: argparse.Namespace) -> int:
    config = settings(args)
    data = DataDir(config.data_dir)
    if args.owner is not None and not args.production:
        raise RegistryError(N_("--owner goes with --production"))
    owner = production.Owner.named(args.owner) if args.owner is not None else None
    data.root.mkdir(parents=True, exist_ok=True)
    async with open_store(args, init=True) as store:
        report = await datadir.initialise(
            data,
            server_names=args.server_names or config.server_names,
            now=SystemClock().now(),
            demo=args.demo,
            store=store,
            actor=cli_actor(),
            gateway_id=config.gateway_id,
            master_key=config.master_key,
        )
    language = output_language(args)
    for path in report.created:
        print(translate(CREATED, language, path=path))
    for path in report.kept:
        print(translate(KEPT, language, path=path))
    for partner_id in report.enrolled:
        print(translate(ENROLLED, language, id=partner_id, path=data.partner_dir(partner_id)))
    if args.production:
        production.restrict(data.root, owner)
        if owner is None:
            print(translate(RESTRICTED, language, path=data.root))
        else:
            print(translate(RESTRICTED_OWNED, language, path=data.root, owner=owner.name))
    print(translate(READY, language, path=data.root.resolve()))
    return 0


# --- partner ----------------------------------------------------------------------------------


def _register_partner(commands: Subparsers) -> None:
    group = commands.add_parser("partner", help=N_("the partner registry")).add_subparsers(
        dest="partner_command", required=True, metavar="ACTION"
    )
    add = group.add_parser("add", help=N_("enrol a partner agency"))
    add_data_dir(add)
    add.add_argument("partner_id", metavar="ID", help=N_("slug such as nl-pol-limburg"))
    add.add_argument("--name", required=True, help=N_("the agency's name in its own language"))
    add.add_argument("--country", required=True, choices=("NL", "BE", "DE"))
    add.add_argument("--agency-type", required=True)
    add.add_argument(
        "--languages", required=True, help=N_("languages in order of preference, e.g. de,fr")
    )
    add.add_argument("--webhook-url", default=None)
    add.set_defaults(handler=run_partner_add)

    listing = group.add_parser("list", help=N_("list partners"))
    add_data_dir(listing)
    listing.add_argument("--json", action="store_true", help=N_("machine-readable output"))
    listing.set_defaults(handler=run_partner_list)

    show = group.add_parser("show", help=N_("one partner with its certificates"))
    add_data_dir(show)
    show.add_argument("partner_id", metavar="ID")
    show.add_argument("--json", action="store_true", help=N_("machine-readable output"))
    show.set_defaults(handler=run_partner_show)

    for action, state, text in (
        ("suspend", PartnerState.SUSPENDED, N_("stop a partner for now")),
        ("reactivate", PartnerState.ACTIVE, N_("admit a suspended partner again")),
        (
            "revoke",
            PartnerState.REVOKED,
            N_("remove a partner for good (revokes its certificates)"),
        ),
    ):
        change = group.add_parser(action, help=text)
        add_data_dir(change)
        change.add_argument("partner_id", metavar="ID")
        change.set_defaults(handler=_state_changer(state))

    webhook = group.add_parser(
        "webhook", help=N_("set or remove the URL a partner's envelopes are pushed to")
    )
    add_data_dir(webhook)
    webhook.add_argument("partner_id", metavar="ID")
    target = webhook.add_mutually_exclusive_group(required=True)
    target.add_argument("url", nargs="?", metavar="URL", help=N_("https URL of the webhook"))
    target.add_argument("--none", action="store_true", help=N_("push no more; the inbox remains"))
    webhook.set_defaults(handler=run_partner_webhook)

    keys.register(group)
    witness_keys.register(group)


async def run_partner_webhook(args: argparse.Namespace) -> int:
    url = None if args.none else args.url
    async with open_store(args) as store:
        partner = await change_webhook(store, args.partner_id, url, actor=cli_actor())
    print(translate(WEBHOOK, output_language(args), id=partner.id, url=partner.webhook_url or "-"))
    return 0


async def run_partner_add(args: argparse.Namespace) -> int:
    if args.webhook_url is not None and (problems := webhook_problems(args.webhook_url)):
        raise RegistryError(problems)
    partner = Partner(
        id=args.partner_id,
        name=args.name,
        country=args.country,
        agency_type=args.agency_type,
        languages=tuple(lang.strip() for lang in args.languages.split(",") if lang.strip()),
        webhook_url=args.webhook_url,
    )
    async with open_store(args) as store:
        await add_partner(store, partner, actor=cli_actor())
    print(translate(PARTNER_ADDED, output_language(args), id=partner.id))
    return 0


def _partner_json(partner: Partner) -> dict[str, object]:
    return {**asdict(partner), "languages": list(partner.languages), "state": str(partner.state)}


def _certificate_json(certificate: Certificate) -> dict[str, object]:
    return {
        **asdict(certificate),
        "not_before": certificate.not_before.isoformat(),
        "not_after": certificate.not_after.isoformat(),
        "state": str(certificate.state),
    }


async def run_partner_list(args: argparse.Namespace) -> int:
    async with open_store(args) as store:
        partners = await store.partners()
    if args.json:
        print(json.dumps([_partner_json(p) for p in partners], indent=2, ensure_ascii=False))
        return 0
    language = output_language(args)
    print_table(
        headings(PARTNER_HEADINGS, language),
        [
            (
                p.id,
                p.country,
                code_label("agency_type", p.agency_type, language),
                ",".join(p.languages),
                translate(PARTNER_STATES.get(p.state, p.state), language),
                p.name,
            )
            for p in partners
        ],
    )
    return 0


async def run_partner_show(args: argparse.Namespace) -> int:
    async with open_store(args) as store:
        partner = await store.partner(args.partner_id)
        certificates = await store.certificates(args.partner_id)
    if args.json:
        document = _partner_json(partner)
        document["certificates"] = [_certificate_json(c) for c in certificates]
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return 0
    language = output_language(args)
    facts = (
        (N_("id"), partner.id),
        (N_("name"), partner.name),
        (N_("country"), code_label("country", partner.country, language)),
        (N_("agency type"), code_label("agency_type", partner.agency_type, language)),
        (N_("languages"), ", ".join(partner.languages)),
        (N_("state"), translate(PARTNER_STATES.get(partner.state, partner.state), language)),
        (N_("webhook"), partner.webhook_url or "-"),
    )
    print_table(("", ""), [(translate(name, language), value) for name, value in facts])
    print(translate(CERTIFICATES, language))
    print_table(
        headings(CERTIFICATE_HEADINGS, language),
        [
            (
                c.fingerprint,
                c.serial[:16],
                format_date(c.not_after, "short", locale=language),
                translate(CERTIFICATE_STATES.get(c.state, c.state), language),
            )
            for c in certificates
        ],
    )
    return 0


def _state_changer(state: PartnerState) -> Handler:
    async def run(args: argparse.Namespace) -> int:
        async with open_store(args) as store:
            partner = await change_partner_state(store, args.partner_id, state, actor=cli_actor())
        language = output_language(args)
        state_label = translate(PARTNER_STATES.get(partner.state, partner.state), language)
        print(translate(NOW_IN_STATE, language, id=partner.id, state=state_label))
        return 0

    return run


# --- cert -------------------------------------------------------------------------------------


def _register_cert(commands: Subparsers) -> None:
    group = commands.add_parser("cert", help=N_("partners' client certificates")).add_subparsers(
        dest="cert_command", required=True, metavar="ACTION"
    )
    issue = group.add_parser(
        "issue", help=N_("certify the key of a partner's certificate signing request")
    )
    add_data_dir(issue)
    issue.add_argument("partner_id", metavar="PARTNER")
    _add_request(issue)
    issue.add_argument("--out", type=Path, default=None, help=N_("directory for client.pem"))
    issue.add_argument("--days", type=int, default=825, help=N_("validity in days (default 825)"))
    issue.set_defaults(handler=run_cert_issue)

    revoke = group.add_parser("revoke", help=N_("revoke a client certificate"))
    add_data_dir(revoke)
    revoke.add_argument("fingerprint", metavar="FINGERPRINT", help=N_("SHA-256, hex"))
    revoke.set_defaults(handler=run_cert_revoke)

    webhook = group.add_parser(
        "webhook",
        help=N_("issue a server certificate for a partner's webhook (trusted by default)"),
    )
    add_data_dir(webhook)
    webhook.add_argument("partner_id", metavar="PARTNER")
    webhook.add_argument(
        "--name",
        action="append",
        dest="names",
        required=True,
        metavar="NAME",
        help=N_("DNS name or IP address of the webhook server (repeatable)"),
    )
    _add_request(webhook)
    webhook.add_argument("--out", type=Path, default=None, help=N_("directory for webhook.pem"))
    webhook.set_defaults(handler=run_cert_webhook)

    renew = group.add_parser(
        "renew",
        help=N_(
            "certify the gateway's own server and client keys anew under its CA "
            "(a running gateway presents the new server certificate after SIGHUP)"
        ),
    )
    add_data_dir(renew)
    _add_server_names(
        renew,
        N_(
            "a DNS name or IP address for the server certificate "
            "(repeatable; default: the names it has)"
        ),
    )
    renew.set_defaults(handler=run_cert_renew)

    expiry = group.add_parser(
        "expiry", help=N_("every certificate in use with the days it has left, soonest first")
    )
    add_data_dir(expiry)
    expiry.add_argument("--json", action="store_true", help=N_("machine-readable output"))
    expiry.set_defaults(handler=run_cert_expiry)


def _add_request(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--csr",
        type=Path,
        default=None,
        metavar="FILE",
        help=N_(
            "the partner's PKCS #10 certificate signing request (PEM or DER); the partner "
            "keeps its private key (`euregate partner-kit csr`, or openssl req)"
        ),
    )


CREATED = N_("created  {path}")
KEPT = N_("kept     {path}")
ENROLLED = N_("enrolled {id}: certificate and key in {path}")
RESTRICTED = N_("restricted {path}: directories 0700, files 0600")
RESTRICTED_OWNED = N_("restricted {path}: directories 0700, files 0600, owned by {owner}")
READY = N_("Data directory ready: {path}")
WEBHOOK = N_("{id} webhook: {url}")
PARTNER_ADDED = N_(
    "added {id}; certify the partner's own key with: euregate cert issue {id} --csr FILE"
)
PARTNER_HEADINGS = (
    N_("id"),
    N_("country"),
    N_("type"),
    N_("languages"),
    N_("state"),
    N_("name"),
)
PARTNER_STATES = {
    PartnerState.ACTIVE: N_("active"),
    PartnerState.SUSPENDED: N_("suspended"),
    PartnerState.REVOKED: N_("revoked"),
}
CERTIFICATE_STATES = {
    CertificateState.ACTIVE: N_("active"),
    CertificateState.REVOKED: N_("revoked"),
}
CERTIFICATES = N_("certificates:")
CERTIFICATE_HEADINGS = (N_("fingerprint (SHA-256)"), N_("serial"), N_("not after"), N_("state"))
NOW_IN_STATE = N_("{id} is now {state}")
CERTIFICATE_REVOKED = N_("revoked {fingerprint} of {id}")
EXPIRY_HEADINGS = (
    N_("holder"),
    N_("use"),
    N_("until"),
    N_("days left"),
    "",
    N_("fingerprint"),
)
RENEW = N_("renew")
CERTIFICATE = N_("certificate")
FINGERPRINT = N_("fingerprint")
CLIENT_CA = N_("client CA")
SEND_WITH_CA = N_("{path}  (send it and ca.pem to the partner)")
ADMITS = N_("{path}  (the webhook admits the gateway's certificate by it)")
PRESENTED_AFTER_HUP = N_(
    "a running gateway presents the new server certificate after `kill -HUP` (or a restart)"
)
NO_REQUEST = (
    "`cert {command}` needs --csr FILE: the partner makes its own key and certificate "
    "signing request (`euregate partner-kit csr {partner}` or `openssl req`, see the README) "
    "and keeps the key; the gateway certifies only the request's public key. Keys made by "
    "the gateway exist only for the demo network of `euregate init --demo`."
)


def _request(args: argparse.Namespace, command: str) -> bytes:
    if args.csr is None:
        raise RegistryError(NO_REQUEST, command=command, partner=args.partner_id)
    try:
        request: bytes = args.csr.read_bytes()
    except OSError as exc:
        raise RegistryError(
            N_("cannot read the certificate request {path}: {problem}"),
            path=args.csr,
            problem=exc.strerror or type(exc).__name__,
        ) from exc
    return request


async def run_cert_issue(args: argparse.Namespace) -> int:
    data = layout(args)
    request = _request(args, "issue")
    async with open_store(args) as store:
        issued = await issue_certificate(
            store,
            data,
            args.partner_id,
            request,
            now=SystemClock().now(),
            actor=cli_actor(),
            out_dir=args.out,
            valid_days=args.days,
        )
    language = output_language(args)
    print_table(
        ("", ""),
        [
            (
                translate(CERTIFICATE, language),
                translate(SEND_WITH_CA, language, path=issued.certificate_path),
            ),
            (translate(FINGERPRINT, language), issued.certificate.fingerprint),
        ],
    )
    return 0


async def run_cert_webhook(args: argparse.Namespace) -> int:
    data = layout(args)
    request = _request(args, "webhook")
    async with open_store(args) as store:
        issued = await issue_webhook_certificate(
            store,
            data,
            args.partner_id,
            args.names,
            request,
            now=SystemClock().now(),
            actor=cli_actor(),
            out_dir=args.out,
        )
    language = output_language(args)
    print_table(
        ("", ""),
        [
            (translate(CERTIFICATE, language), str(issued.certificate_path)),
            (translate(CLIENT_CA, language), translate(ADMITS, language, path=issued.ca_path)),
            (translate(FINGERPRINT, language), issued.fingerprint),
        ],
    )
    return 0


async def run_cert_renew(args: argparse.Namespace) -> int:
    data = layout(args)
    async with open_store(args) as store:
        renewed = await renew_gateway_certificates(
            data, store, now=SystemClock().now(), actor=cli_actor(), server_names=args.server_names
        )
    for certificate in renewed:
        print(
            f"renewed {certificate.use:<6}  until {certificate.not_after:%Y-%m-%d}  "
            f"sha256 {certificate.fingerprint}"
        )
    print(translate(PRESENTED_AFTER_HUP, output_language(args)))
    return 0


async def run_cert_expiry(args: argparse.Namespace) -> int:
    config = settings(args)
    data = DataDir(config.data_dir)
    now = SystemClock().now()
    async with open_store(args) as store:
        found = soonest_first(await certificates_due(data, store))
    if args.json:
        print(json.dumps([c.as_json(now) for c in found], indent=1))
        return 0
    warn = config.certificate_warn_days
    language = output_language(args)
    renew = translate(RENEW, language).upper()
    print_table(
        headings(EXPIRY_HEADINGS, language),
        [
            (
                c.holder,
                c.use,
                format_date(c.not_after, "short", locale=language),
                c.days_left(now),
                renew if c.days_left(now) < warn else "",
                c.fingerprint[:16],
            )
            for c in found
        ],
    )
    return 0


async def run_cert_revoke(args: argparse.Namespace) -> int:
    fingerprint = args.fingerprint.replace(":", "").lower()
    async with open_store(args) as store:
        certificate = await revoke_certificate(store, fingerprint, actor=cli_actor())
    print(
        translate(
            CERTIFICATE_REVOKED,
            output_language(args),
            fingerprint=certificate.fingerprint,
            id=certificate.partner_id,
        )
    )
    return 0
