"""``euregate audit``: the audit log, checked by whoever holds a copy of what it showed.

- ``verify``: walk the hash chain; with ``--checkpoint FILE``, prove instead that the log
  still has the tree of a checkpoint saved earlier (and of the checkpoints kept since that
  agree with it), naming the first size where it no longer does;
- ``checkpoint``: the latest signed checkpoint, with its witnesses' cosignatures;
- ``prove``: a partner checks that its receipt's entry is in a signed checkpoint;
- ``export-verify``: an export of the audit search against its signed manifest and the
  checkpoint it was cut at.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, Final

from euregate_client import ClientFailure, Problem, Unreachable

from gateway.edges.cli.common import (
    Subparsers,
    add_action,
    open_store,
    output_language,
    settings,
)
from gateway.edges.cli.partner_side import add_connection, partner_client
from gateway.edges.cli.progress import Progress
from gateway.edges.problems import problem_document
from gateway.infra.errors import EuregateError, LogDiverged, NoteRefused, ProofRefused
from gateway.infra.exports import check_export, public_keys_from_json
from gateway.infra.i18n import N_, translate
from gateway.store import Store, verify_chain
from gateway.transparency.exported import check_entries
from gateway.transparency.log import TransparencyLog, b64
from gateway.transparency.verify import (
    ReceiptLeaf,
    check_log,
    log_verifiers,
    open_log_checkpoint,
    vouched,
)

ENTRIES: Final = N_("entries")
CONSISTENT: Final = N_(
    "consistent: the audit log of {size} entries still has the tree of the checkpoint of "
    "{checkpoint} entries in {file} (root {root}), and of the {compared} checkpoints compared."
)
INCLUDED: Final = N_(
    "included: the audit entry of signal {signal} (leaf {index}) is in the gateway's signed "
    "checkpoint of {size} entries (root {root})."
)
NOT_VERIFIED: Final = N_("NOT VERIFIED: {detail}")
CHAIN_INTACT: Final = N_("audit chain intact: {count} entries, last hash {hash}")
CHAIN_BROKEN: Final = N_(
    "audit chain BROKEN at entry {seq}: {reason} ({count} entries before it are intact)"
)
CANNOT_REACH: Final = N_("cannot reach the gateway: {reason}")
EXPORT_VERIFIED: Final = N_(
    "verified: {file} ({rows} rows, sha256 {sha256}), signed by gateway key {key}, exported "
    "{at} by {by}"
)
ROWS_PROVEN: Final = N_(
    "every row proven by its audit entry in the gateway's checkpoint of {size} entries "
    "(root {root})"
)


def register(commands: Subparsers) -> None:
    group = commands.add_parser("audit", help=N_("the audit log")).add_subparsers(
        dest="audit_command", required=True, metavar="ACTION"
    )
    check = add_action(
        group, "verify", N_("walk the hash chain; or prove the log consistent with a checkpoint"),
        run_audit_verify,
    )  # fmt: skip
    check.add_argument("--json", action="store_true", help=N_("machine-readable output"))
    check.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help=N_(
            "a checkpoint saved earlier (`audit checkpoint --out`, a witness's): prove the log "
            "still has its tree, instead of walking the chain"
        ),
    )
    _add_keys(check)

    latest = add_action(group, "checkpoint", N_("the latest signed checkpoint"), run_checkpoint)
    latest.add_argument("--out", type=Path, metavar="FILE", help=N_("write it here, not to stdout"))
    latest.add_argument("--json", action="store_true", help=N_("size, root, note and cosigners"))

    prove = add_action(
        group, "prove", N_("check that a receipt's entry is in a signed checkpoint"), run_prove
    )
    prove.add_argument(
        "receipt", type=Path, metavar="RECEIPT.json", help=N_("`send --json` output")
    )
    prove.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help=N_("a checkpoint kept earlier (default: the gateway's latest)"),
    )
    prove.add_argument(
        "--keys",
        type=Path,
        default=None,
        help=N_(
            "the gateway's public keys as GET /v1/gateway/keys served them, kept earlier "
            "(default: asked of the gateway)"
        ),
    )
    add_connection(prove)

    exported = add_action(
        group,
        "export-verify",
        N_("check an audit export against its manifest and the gateway's signature"),
        run_audit_export_verify,
    )
    exported.add_argument("file", type=Path, help=N_("the exported CSV or JSON file"))
    exported.add_argument("manifest", type=Path, help=N_("its .manifest.json"))
    exported.add_argument(
        "--entries",
        type=Path,
        default=None,
        metavar="FILE",
        help=N_(
            "the audit entries that prove its rows (default: the .entries.json the manifest "
            "names, beside it)"
        ),
    )
    _add_keys(exported)


def _add_keys(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--keys",
        type=Path,
        default=None,
        help=N_(
            "the gateway's public keys as GET /v1/gateway/keys served them "
            "(default: the keys in the data directory)"
        ),
    )


async def _gateway_keys(args: argparse.Namespace, store: Store | None = None) -> dict[str, bytes]:
    if args.keys is not None:
        return public_keys_from_json(json.loads(args.keys.read_text(encoding="utf-8")))
    if store is not None:
        return {key.key_id: key.public_key for key in await store.gateway_keys()}
    async with open_store(args) as opened:
        return {key.key_id: key.public_key for key in await opened.gateway_keys()}


def _refused(error: EuregateError, language: str) -> str:
    """A refusal in the user's language, as one line."""
    document = problem_document(error, language=language)
    return translate(NOT_VERIFIED, language, detail=document["detail"])


# --- verify ---------------------------------------------------------------------------------


async def run_audit_verify(args: argparse.Namespace) -> int:
    if args.checkpoint is not None:
        return await _verify_against_checkpoint(args)
    async with open_store(args) as store:
        head = await store.chain_head()
        progress = Progress(head.seq if head else 0, translate(ENTRIES, output_language(args)))
        result = await verify_chain(store, checked=progress)
        progress.finish()
    if args.json:
        print(json.dumps({**asdict(result), "reason": result.reason_in("en"), "ok": result.ok}))
    elif result.ok:
        print(
            translate(
                CHAIN_INTACT, output_language(args), count=result.checked, hash=result.last_hash
            )
        )
    else:
        language = output_language(args)
        print(
            translate(
                CHAIN_BROKEN,
                language,
                seq=result.first_bad_seq,
                reason=result.reason_in(language) or "-",
                count=result.checked,
            )
        )
    return 0 if result.ok else 1


async def _verify_against_checkpoint(args: argparse.Namespace) -> int:
    """The log rebuilt from its entries against the saved checkpoint (trusted) and the kept
    checkpoints the kept tree vouches for alongside it (:func:`vouched`)."""
    language = output_language(args)
    note = args.checkpoint.read_bytes()
    origin = settings(args).audit_origin
    async with open_store(args) as store:
        verifiers = log_verifiers(origin, (await _gateway_keys(args, store)).values())
        try:
            saved = open_log_checkpoint(note, verifiers, origin=origin).checkpoint
        except NoteRefused as refusal:
            print(_refused(refusal, language), file=sys.stderr)
            return 1
        trusted = await vouched(store, (saved.size, saved.root))
        head = await store.chain_head()
        progress = Progress(head.seq if head else 0, translate(ENTRIES, language))
        try:
            checked = await check_log(store, trusted, progress=progress)
        except LogDiverged as diverged:
            progress.finish()
            return _diverged(args, diverged, language)
        progress.finish()
    if args.json:
        print(json.dumps({"ok": True, "size": checked.size, "root": b64(checked.root),
                          "checkpoint": saved.size, "compared": checked.compared}))  # fmt: skip
    else:
        print(
            translate(
                CONSISTENT,
                language,
                size=checked.size,
                checkpoint=saved.size,
                file=args.checkpoint,
                root=b64(saved.root),
                compared=checked.compared,
            )
        )
    return 0


def _diverged(args: argparse.Namespace, diverged: LogDiverged, language: str) -> int:
    if args.json:
        print(json.dumps({"ok": False, **diverged.extensions(), "detail": str(diverged)}))
    else:
        print(_refused(diverged, language))
    return 1


# --- checkpoint -----------------------------------------------------------------------------


async def run_checkpoint(args: argparse.Namespace) -> int:
    origin = settings(args).audit_origin
    async with open_store(args) as store:
        keys = await store.gateway_keys()
        log = TransparencyLog(store, log_key=log_verifiers(origin, [keys[-1].public_key])[0])
        published = await log.published()
    if args.json:
        text = json.dumps(published.as_json(log.log_key), indent=1) + "\n"
    else:
        text = published.note().decode()
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    return 0


# --- prove ----------------------------------------------------------------------------------


async def run_prove(args: argparse.Namespace) -> int:
    language = output_language(args)
    receipt: dict[str, Any] = json.loads(args.receipt.read_text(encoding="utf-8"))
    kept = None if args.checkpoint is None else args.checkpoint.read_bytes()
    keys = None if args.keys is None else await _gateway_keys(args)
    try:
        leaf = ReceiptLeaf.of(receipt)
        async with partner_client(args, language=language) as client:
            signed = await client.verify_inclusion(
                receipt, checkpoint=kept, gateway_keys=keys, origin=settings(args).audit_origin
            )
    except (ProofRefused, NoteRefused) as refusal:
        print(_refused(refusal, language))
        return 1
    except Problem as problem:
        detail = problem.document.get("detail", problem.document.get("title", problem.status))
        print(f"euregate audit prove: {detail}", file=sys.stderr)
        return 2
    except Unreachable:
        raise
    except ClientFailure as failure:
        said = translate(CANNOT_REACH, language, reason=failure)
        print(f"euregate audit prove: {said}", file=sys.stderr)
        return 2
    print(
        translate(
            INCLUDED,
            language,
            index=leaf.index,
            signal=receipt.get("signal_id", "?"),
            size=signed.checkpoint.size,
            root=b64(signed.checkpoint.root),
        )
    )
    return 0


# --- export-verify --------------------------------------------------------------------------


async def run_audit_export_verify(args: argparse.Namespace) -> int:
    known = await _gateway_keys(args)
    manifest = json.loads(args.manifest.read_text(encoding="utf-8"))
    data = args.file.read_bytes()
    problems = check_export(data, manifest, known)
    stated = manifest.get("audit_entries") if isinstance(manifest, dict) else None
    if not problems and isinstance(stated, dict):
        problems = _entries_problems(args, data, manifest, stated, known)
    language = output_language(args)
    if problems:
        for problem in problems:
            print(translate(NOT_VERIFIED, language, detail=problem))
        return 1
    print(
        translate(
            EXPORT_VERIFIED,
            language,
            file=args.file.name,
            rows=manifest["rows"],
            sha256=manifest["sha256"],
            key=manifest["key_id"],
            at=manifest["exported_at"],
            by=manifest["exported_by"],
        )
    )
    if isinstance(stated, dict):
        print(translate(ROWS_PROVEN, language, size=stated["size"], root=stated["root"]))
    return 0


def _entries_problems(
    args: argparse.Namespace,
    data: bytes,
    manifest: dict[str, Any],
    stated: dict[str, Any],
    known: dict[str, bytes],
) -> list[str]:
    """What is wrong with the entries file an export's manifest names, or its rows against it."""
    path: Path = args.entries or args.manifest.parent / str(stated.get("file"))
    try:
        entries = path.read_bytes()
    except OSError as exc:
        return [f"cannot read the audit entries {path}: {exc.strerror or exc}"]
    if hashlib.sha256(entries).hexdigest() != stated.get("sha256"):
        return ["the audit entries are not the file the manifest names (SHA-256)"]
    verifiers = log_verifiers(settings(args).audit_origin, known.values())
    return check_entries(
        data,
        str(manifest.get("media_type")),
        entries,
        stated,
        verifiers,
        origin=settings(args).audit_origin,
    )
