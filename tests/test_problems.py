"""One error shape: every error Euregate can raise becomes the same kind of RFC 9457 document."""

from __future__ import annotations

import pytest

from gateway.edges.problems import problem_document
from gateway.flow import holds, restriction
from gateway.infra import errors
from gateway.infra.audit import checkpoint, note, witness
from gateway.infra.errors import EuregateError, FieldIssue
from gateway.infra.i18n import LANGUAGES

SAMPLE_PARAMS: dict[type[EuregateError], dict[str, object]] = {
    errors.WithdrawalReasonInvalid: {"choices": "data_incorrect, sent_in_error"},
    errors.MalformedJson: {
        "reason": "number longer than {limit} characters",
        "line": 2,
        "column": 5,
        "limit": 64,
    },
    errors.BodyNotUtf8: {"offset": 7},
    errors.BodyTooDeep: {"limit": 64},
    errors.DuplicateMember: {"name": "schema"},
    errors.NotAuthenticated: {"reason": "partner suspended"},
    errors.MethodNotAllowed: {"method": "DELETE"},
    errors.IdempotencyConflict: {"reference": "R-1", "signal_id": "0193"},
    errors.BodyTooLarge: {"limit": 262144},
    errors.BodyTimeout: {"seconds": 30},
    errors.TooManyLongPolls: {"limit": 4, "retry_after": 12},
    errors.TooManyReports: {"limit": 100},
    errors.UnsupportedMediaType: {"received": "text/plain"},
    errors.EnvelopeMalformed: {"reason": "enc is not unpadded base64url"},
    errors.EnvelopeMisaddressed: {"recipient": "be-pol-liege", "signal": "0193"},
    errors.EnvelopeWrongKey: {"key_id": "1394625412fd34bf", "suite": "X25519", "given": "7006"},
    errors.EnvelopeSignatureInvalid: {"reason": "the signature does not match"},
    errors.ReviewDecided: {"item_id": "01a2"},
    errors.HoldInvalid: {"reason": holds.NO_REASON, "pointer": "/reason", "limit": 500},
    errors.HoldRefused: {"id": "0193"},
    errors.NotHeld: {"id": "0193"},
    errors.RestrictionInvalid: {
        "reason": restriction.NOTE_TOO_LONG,
        "pointer": "/note",
        "limit": 1000,
    },
    errors.NotRestricted: {"id": "0193"},
    errors.ReleaseRestricted: {"item_id": "01a2"},
    errors.MemoryConfirmationRefused: {"entry_id": "01a3"},
    errors.MemoryEntryConfirmed: {"entry_id": "01a3"},
    errors.TranslationCallbackInvalid: {"field": "request-id"},
    errors.TranslationJobAnswered: {"job_id": "01a3"},
    errors.CorrectionInvalid: {"pointer": "/summary", "limit": 10000},
    errors.UntranslatedUnresolved: {"untranslated": [("/description", "nl")]},
    errors.ReleaseChoiceConflict: {"pointer": "/summary"},
    errors.BodyShapeInvalid: {"members": "reason", "pointer": "/note"},
    errors.QueryInvalid: {"parameter": "limit", "expected": "an integer from 1 to 500"},
    errors.QueryUnknown: {"parameter": "limt", "known": ("after", "limit", "wait")},
    errors.TooManyRefusals: {"retry_after": 41},
    errors.PartnerRateLimited: {"rate": 5.0, "burst": 20, "retry_after": 3},
    errors.PartnerBusy: {"limit": 4},
    errors.SettingInvalid: {"setting": "libretranslate_url", "reason": "must use https"},
    errors.NoteMalformed: {"reason": note.NOT_UTF8},
    errors.NoteUnverified: {"names": "euregate.euregio.eu/audit"},
    errors.NoteSignatureInvalid: {"name": "euregate.euregio.eu/audit", "key_id": "c74f20a3"},
    errors.VerifierKeyMalformed: {"reason": note.VERIFIER_KEY_ID},
    errors.CheckpointMalformed: {"reason": checkpoint.SIZE},
    errors.WitnessRefusal: {"previous": None, "submitted": b"checkpoint"},
    errors.CheckpointUnverified: {
        "previous": None,
        "submitted": b"checkpoint",
        "reason": witness.UNSIGNED,
    },
    errors.CheckpointRollback: {
        "previous": b"old",
        "submitted": b"new",
        "old_size": 10,
        "new_size": 9,
    },
    errors.CheckpointSplitView: {
        "previous": b"old",
        "submitted": b"new",
        "size": 10,
        "old_root": "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
        "new_root": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    },
    errors.ConsistencyUnproven: {
        "previous": b"old",
        "submitted": b"new",
        "old_size": 10,
        "new_size": 12,
    },
    errors.AuditTreeIncomplete: {"level": 8, "index": 3},
    errors.CosignaturesDisagree: {
        "previous": None,
        "submitted": b"new",
        "size": 10,
        "partner": "be-pol-liege",
        "name": "be-pol-liege/witness",
    },
    errors.AuditTreeMoved: {"expected": 40, "found": 41},
    errors.AuditLogDiverged: {"seq": 41, "reason": "the entry's content does not match its hash"},
    errors.CheckpointNotPublished: {"size": 12},
    errors.BeyondTheLog: {"size": 40, "asked": 41},
    errors.WitnessKeyUnknown: {"name": "nl-pol-limburg/witness", "key_id": "c74f20a3"},
    errors.CosignatureInvalid: {"size": 40},
    errors.InclusionUnproven: {"index": 7, "leaf_hash": "47DEQpj8HBSa+/TI", "size": 40},
    errors.LogDiverged: {"size": 39, "agrees_up_to": 30, "differs_at": 40},
    errors.StoreSchemaRefused: {"found": 12, "known": 11},
    errors.StoreToolFailed: {"tool": "pg_dump", "reason": "exit status 1"},
    errors.SchemaOutdated: {"found": 10, "known": 11},
    errors.SchemaTooNew: {"found": 12, "known": 11},
    errors.BackupExists: {"path": "/var/backups/euregate/today.tar"},
    errors.ArchiveUnreadable: {"archive": "today.tar", "reason": "no manifest.json first"},
    errors.ArchiveTampered: {"member": "data/policy.toml"},
    errors.RestoreTargetNotEmpty: {"path": "/var/lib/euregate"},
    errors.RestoreDatabaseNotEmpty: {"database": "euregate_restored"},
    errors.RestoreWouldRollBack: {"newer": "/var/lib/euregate", "newer_size": 68, "size": 58},
    errors.NewerLogMissing: {"source": "/var/lib/euregate"},
    errors.RestoreForked: {"newer": "witnessed.txt", "size": 58},
    errors.MasterKeyMismatch: {"path": "master.key", "needed": "fd2d", "given": "0a1b"},
    errors.RestoreMismatch: {"what": "signals 5 != 6", "path": "/srv/restored"},
    errors.UnknownPartnerName: {
        "partner": "be-pol-luik",
        "data_dir": "data",
        "known": "be-pol-liege, nl-pol-limburg",
        "suggestion": "be-pol-liege",
    },
    errors.FileUnreadable: {"path": "missing.token", "cause": "missing"},
    errors.PortInUse: {"host": "localhost", "port": 8443, "option": "--port"},
    errors.GatewayUnreachable: {"url": "https://localhost:8443", "reason": "connection refused"},
    errors.CommandFailed: {"error": "RuntimeError"},
    errors.SealingBehind: {"retry_after": 5},
    errors.OptionsMissing: {"reason": "give --as PARTNER, or --cert and --key (and --ca)"},
}
ISSUE = FieldIssue("/urgency", "enum", "Must be one of: {expected}.", {"expected": "routine"})


def all_errors() -> list[EuregateError]:
    made: list[EuregateError] = []
    for cls in vars(errors).values():
        if not (isinstance(cls, type) and issubclass(cls, EuregateError)):
            continue
        if cls in (errors.SignalInvalid, errors.RecipientsInvalid):
            made.append(cls([ISSUE]))
        elif cls is errors.RegistryError:
            made.append(cls("no partner {id}", id="xx"))
        elif cls.__name__.startswith("_"):
            continue
        else:
            made.append(cls(**SAMPLE_PARAMS.get(cls, {})))
    return made


@pytest.mark.parametrize("error", all_errors(), ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_error_is_a_complete_problem_document(error: EuregateError, language: str) -> None:
    document = problem_document(error, language=language, instance="/v1/signals", request_id="r1")
    assert document["type"] == f"urn:euregate:problem:{error.kind}"
    assert document["status"] == error.status
    assert isinstance(document["title"], str)
    assert document["title"]
    assert isinstance(document["detail"], str)
    assert document["detail"]
    assert "{" not in document["detail"], "every placeholder is filled"
    assert document["instance"] == "/v1/signals"
    if error.issues:
        assert document["errors"] == [
            {"pointer": "/urgency", "code": "enum", "detail": document["errors"][0]["detail"]}  # type: ignore[index]
        ]


def test_each_kind_of_problem_has_its_own_type() -> None:
    concrete = [error for error in all_errors() if type(error) is not EuregateError]
    assert len({error.type_uri for error in concrete}) == len(concrete)


def test_client_errors_are_4xx_and_internal_ones_500() -> None:
    for error in all_errors():
        if isinstance(error, errors.ClientError):
            assert 400 <= error.status < 500
    assert errors.InternalError().status == 500
