"""Administrators' commands for staff accounts: ``staff add``, ``list``, ``token`` and the rest.

Secrets appear once: a new second factor when an account is added or reset, a token
when it is issued. Passwords are read with ``getpass`` (twice) or, for scripts, as one
line from standard input with ``--password-stdin``; never from the command line. What
the commands say is in ``--lang``, else the language of the environment.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from dataclasses import asdict
from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.edges.cli.common import (
    Handler,
    Subparsers,
    add_action,
    cli_actor,
    headings,
    layout,
    open_store,
    output_language,
    print_table,
)
from gateway.edges.cli.times import add_time_zone, shown
from gateway.infra import datafiles
from gateway.infra.audit import timestamp
from gateway.infra.clock import SystemClock
from gateway.infra.errors import OptionsMissing, RegistryError
from gateway.infra.i18n import LANGUAGES, N_, translate
from gateway.infra.vault import MasterKey, VaultError
from gateway.registry.admin import staff as staff_admin
from gateway.staff.accounts import Desk, Role, StaffAccount, StaffState
from gateway.staff.labels import ROLE_LABELS, STATE_LABELS
from gateway.staff.throttle import ThrottlePolicy
from gateway.staff.tokens import ApiToken
from gateway.store import SignInBlock, Store

ADDED = N_("Added {id} ({role}, desk {desk}).")
ADDED_WITHOUT_DESK = N_("Added {id} ({role}).")
DESK_NEEDED = N_(
    "a liaison officer serves a desk: give --desk NL, BE, DE or the partner ids it serves, "
    "such as --desk be-pol-liege,be-gem-eupen"
)
SECOND_FACTOR = N_(
    "Add this second factor to an authenticator app now (scan the URI as a QR code or type "
    "the secret); it is not shown again."
)
CHANGED = N_("{id}: {role}, desk {desk}, language {language}.")
CHANGED_WITHOUT_DESK = N_("{id}: {role}, language {language}.")
NO_TERMINAL = N_("no terminal to ask for the password; give it with --password-stdin")
PASSWORDS_DIFFER = N_("the two passwords differ")
NO_PASSWORD = N_("no password given")
LIST_HEADINGS = (
    N_("id"),
    N_("role"),
    N_("desk"),
    N_("language"),
    N_("state"),
    N_("sign-in blocked from"),
    N_("name"),
)
TOKEN_HEADINGS = (N_("token id"), N_("created"), N_("revoked"), N_("label"))
BLOCKED_UNTIL = N_("{address} until {time}")
DISABLED = N_("{id} is disabled: the account cannot sign in and its tokens are refused.")
ENABLED = N_("{id} is active again.")
UNBLOCKED = N_("{id} may sign in again from every address: {count} address(es) unblocked.")
RESET = N_("Reset {id}: new password and second factor; {count} token(s) revoked.")
TOKEN_ISSUED = N_("Token {token_id} for {id}. It is shown once; keep it secret:")
TOKEN_REVOKED = N_("Token {token_id} of {id} is revoked.")
PASSWORD_PROMPT = N_("Password: ")
PASSWORD_AGAIN = N_("Password again: ")


def register(commands: Subparsers) -> None:
    group = commands.add_parser("staff", help=N_("staff accounts and their API tokens"))
    actions = group.add_subparsers(dest="staff_command", required=True, metavar="ACTION")

    add = add_action(actions, "add", N_("create an account; shows its second factor once"), run_add)
    add.add_argument("staff_id", metavar="ID", help=N_("login name, e.g. j.jansen"))
    add.add_argument("--name", required=True, help=N_("the person's name as colleagues know it"))
    add.add_argument("--role", required=True, choices=[str(role) for role in Role])
    add.add_argument(
        "--desk",
        help=N_(
            "a liaison officer's desk: NL, BE, DE or partner ids a,b (others serve every desk)"
        ),
    )
    add.add_argument("--language", default="en", choices=LANGUAGES)
    _password_option(add)

    change = add_action(actions, "change", N_("change name, role, desk or language"), run_change)
    change.add_argument("staff_id", metavar="ID")
    change.add_argument("--name")
    change.add_argument("--role", choices=[str(role) for role in Role])
    change.add_argument("--desk")
    change.add_argument("--language", choices=LANGUAGES)

    listing = add_action(actions, "list", N_("list accounts"), run_list)
    listing.add_argument("--json", action="store_true", help=N_("machine-readable output"))
    add_time_zone(listing)

    for name, state, text in (
        ("disable", StaffState.DISABLED, N_("stop an account and its tokens at once")),
        ("enable", StaffState.ACTIVE, N_("admit an account again")),
    ):
        add_action(actions, name, text, _state_changer(state)).add_argument(
            "staff_id", metavar="ID"
        )

    add_action(
        actions, "unlock", N_("forget an account's failed sign-ins, from every address"), run_unlock
    ).add_argument("staff_id", metavar="ID")

    reset = add_action(
        actions, "reset", N_("new password and second factor; revokes tokens"), run_reset
    )
    reset.add_argument("staff_id", metavar="ID")
    _password_option(reset)

    tokens = actions.add_parser("token", help=N_("API tokens for a person's scripts"))
    token_actions = tokens.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    issue = add_action(token_actions, "issue", N_("issue a token; shows it once"), run_token_issue)
    issue.add_argument("staff_id", metavar="ID")
    issue.add_argument("--label", required=True, help=N_("what the token is for"))
    token_list = add_action(token_actions, "list", N_("a person's tokens"), run_token_list)
    token_list.add_argument("staff_id", metavar="ID")
    token_list.add_argument("--json", action="store_true", help=N_("machine-readable output"))
    add_time_zone(token_list)
    revoke = add_action(token_actions, "revoke", N_("revoke a token at once"), run_token_revoke)
    revoke.add_argument("token_id", metavar="TOKEN_ID")


def _password_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help=N_("read the password as one line from standard input instead of prompting"),
    )


def _say(args: argparse.Namespace, message: str, **params: object) -> None:
    print(translate(message, output_language(args), **params))


def _open(args: argparse.Namespace) -> tuple[Store, MasterKey]:
    data = layout(args)
    store = open_store(args)
    try:
        key = datafiles.load_master_key(data)
    except VaultError as exc:
        raise RegistryError(str(exc)) from exc
    return store, key


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    elif not sys.stdin.isatty():
        raise RegistryError(NO_TERMINAL)
    else:
        language = output_language(args)
        password = getpass.getpass(translate(PASSWORD_PROMPT, language))
        if getpass.getpass(translate(PASSWORD_AGAIN, language)) != password:
            raise RegistryError(PASSWORDS_DIFFER)
    if not password:
        raise RegistryError(NO_PASSWORD)
    return password


def _show_second_factor(args: argparse.Namespace, enrolment: staff_admin.Enrolment) -> None:
    _say(args, SECOND_FACTOR)
    print(f"totp uri     {enrolment.provisioning_uri}")
    print(f"totp secret  {enrolment.totp_secret}")


def _desk(role: Role, given: str | None) -> Desk:
    """The desk given; a liaison officer must be given one, everyone else serves every desk."""
    if given is not None:
        return Desk.parse(given)
    if role is Role.LIAISON_OFFICER:
        raise OptionsMissing(DESK_NEEDED)
    return Desk(everything=True)


def _described(account: StaffAccount, language: str) -> dict[str, object]:
    """The parts of an account a sentence names, by their labels in ``language``."""
    return {
        "id": account.id,
        "role": translate(ROLE_LABELS[account.role], language),
        "desk": account.desk,
        "language": account.language,
    }


async def run_add(args: argparse.Namespace) -> int:
    role = Role(args.role)
    account = StaffAccount(
        id=args.staff_id,
        name=args.name,
        role=role,
        desk=_desk(role, args.desk),
        language=args.language,
    )
    password = _password(args)
    store, key = _open(args)
    async with store:
        enrolment = await staff_admin.enrol(store, key, account, password, actor=cli_actor())
    liaison = account.role is Role.LIAISON_OFFICER
    _say(
        args, ADDED if liaison else ADDED_WITHOUT_DESK, **_described(account, output_language(args))
    )
    _show_second_factor(args, enrolment)
    return 0


async def run_change(args: argparse.Namespace) -> int:
    store, _ = _open(args)
    async with store:
        current = await store.staff_account(args.staff_id)
        wanted = StaffAccount(
            id=current.id,
            name=args.name if args.name is not None else current.name,
            role=Role(args.role) if args.role is not None else current.role,
            desk=Desk.parse(args.desk) if args.desk is not None else current.desk,
            language=args.language if args.language is not None else current.language,
        )
        account = await staff_admin.change(store, wanted, actor=cli_actor())
    liaison = account.role is Role.LIAISON_OFFICER
    _say(
        args,
        CHANGED if liaison else CHANGED_WITHOUT_DESK,
        **_described(account, output_language(args)),
    )
    return 0


def _account_json(account: StaffAccount, blocks: list[SignInBlock]) -> dict[str, object]:
    return {
        **asdict(account),
        "created_at": None if account.created_at is None else timestamp(account.created_at),
        "role": str(account.role),
        "desk": str(account.desk),
        "state": str(account.state),
        "sign_in_blocks": [
            {
                "address": block.address,
                "failures": block.failures,
                "blocked_until": None
                if block.blocked_until is None
                else timestamp(block.blocked_until),
            }
            for block in blocks
        ],
    }


def _token_json(token: ApiToken) -> dict[str, str | None]:
    return {
        "id": token.id,
        "staff_id": token.staff_id,
        "label": token.label,
        "created_at": timestamp(token.created_at),
        "revoked_at": None if token.revoked_at is None else timestamp(token.revoked_at),
    }


def _blocked(blocks: list[SignInBlock], now: datetime, language: str, zone: ZoneInfo) -> str:
    """``ADDRESS until WHEN`` for each address blocked now, else ``-``."""
    blocked = [
        translate(
            BLOCKED_UNTIL,
            language,
            address=block.address,
            time=shown(block.blocked_until, language, zone),
        )
        for block in blocks
        if block.blocked_until is not None and block.blocked_until > now
    ]
    return ", ".join(blocked) or "-"


async def run_list(args: argparse.Namespace) -> int:
    store, key = _open(args)
    now = SystemClock().now()
    async with store:
        accounts = await store.staff_accounts()
        blocks = await staff_admin.sign_in_blocks(
            store, key, [a.id for a in accounts], now, ThrottlePolicy()
        )
    if args.json:
        listed = [_account_json(a, blocks[a.id]) for a in accounts]
        print(json.dumps(listed, indent=2, ensure_ascii=False))
        return 0
    language = output_language(args)
    print_table(
        headings(LIST_HEADINGS, language),
        [
            (
                a.id,
                translate(ROLE_LABELS[a.role], language),
                a.desk if a.role is Role.LIAISON_OFFICER else "-",
                a.language,
                translate(STATE_LABELS[a.state], language),
                _blocked(blocks[a.id], now, language, args.time_zone),
                a.name,
            )
            for a in accounts
        ],
    )
    return 0


async def run_unlock(args: argparse.Namespace) -> int:
    store, key = _open(args)
    async with store:
        lifted = await staff_admin.lift_sign_in_blocks(store, key, args.staff_id, actor=cli_actor())
    _say(args, UNBLOCKED, id=args.staff_id, count=lifted)
    return 0


def _state_changer(state: StaffState) -> Handler:
    async def run(args: argparse.Namespace) -> int:
        store, _ = _open(args)
        async with store:
            account = await staff_admin.set_state(store, args.staff_id, state, actor=cli_actor())
        _say(args, DISABLED if account.state is StaffState.DISABLED else ENABLED, id=account.id)
        return 0

    return run


async def run_reset(args: argparse.Namespace) -> int:
    password = _password(args)
    store, key = _open(args)
    async with store:
        enrolment = await staff_admin.reset(store, key, args.staff_id, password, actor=cli_actor())
    _say(args, RESET, id=enrolment.account.id, count=enrolment.tokens_revoked)
    _show_second_factor(args, enrolment)
    return 0


async def run_token_issue(args: argparse.Namespace) -> int:
    store, _ = _open(args)
    async with store:
        issued = await staff_admin.issue_token(store, args.staff_id, args.label, actor=cli_actor())
    language = output_language(args)
    notice = translate(TOKEN_ISSUED, language, token_id=issued.token.id, id=issued.token.staff_id)
    print(notice, file=sys.stderr)
    print(issued.secret)
    return 0


async def run_token_list(args: argparse.Namespace) -> int:
    store, _ = _open(args)
    async with store:
        tokens = await store.tokens(args.staff_id)
    if args.json:
        print(json.dumps([_token_json(t) for t in tokens], indent=2, ensure_ascii=False))
        return 0
    language, zone = output_language(args), args.time_zone
    print_table(
        headings(TOKEN_HEADINGS, language),
        [
            (
                t.id,
                shown(t.created_at, language, zone),
                "-" if t.revoked_at is None else shown(t.revoked_at, language, zone),
                t.label,
            )
            for t in tokens
        ],
    )
    return 0


async def run_token_revoke(args: argparse.Namespace) -> int:
    store, _ = _open(args)
    async with store:
        token = await staff_admin.revoke_token(store, args.token_id, actor=cli_actor())
    _say(args, TOKEN_REVOKED, token_id=token.id, id=token.staff_id)
    return 0
