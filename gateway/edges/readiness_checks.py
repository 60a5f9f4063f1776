"""The checks a gateway is ready by: its store takes a write and is not degraded (a full disk,
a read-only file system, an unreachable database), its policy is loaded, its keys are open,
its audit log's sequencer leads or follows, and its courier is not stalled."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gateway.decide.sharing import PolicyInForce
from gateway.edges.readiness import Check, CheckResult, Readiness
from gateway.edges.store_gauges import Snapshots
from gateway.infra.audit import timestamp
from gateway.infra.clock import Clock
from gateway.infra.seal import Signer
from gateway.infra.vault import MasterKey
from gateway.store import OperationsStore
from gateway.store.health import StoreHealth
from gateway.transparency.sequencer import Sequencer

PROBE = b"euregate readiness probe"


def store_writable(store: OperationsStore) -> Check:
    async def check() -> CheckResult:
        await store.probe()
        return CheckResult(True)

    return check


def storage_healthy(health: StoreHealth) -> Check:
    """Not ready while the store is degraded: from the first fault it met until the storage
    takes writes again (:mod:`gateway.store.health`), whatever the last probe found."""

    async def check() -> CheckResult:
        degraded = health.degraded
        if degraded is None:
            return CheckResult(True)
        detail: dict[str, str | int] = {
            "degraded": degraded.kind,
            "since": timestamp(degraded.since),
            "refused": degraded.refused,
        }
        return CheckResult(False, detail)

    return check


def policy_loaded(policy: PolicyInForce) -> Check:
    async def check() -> CheckResult:
        return CheckResult(True, {"policy_sha256": policy.policy.digest})

    return check


def keys_opened(master_key: MasterKey, signer: Signer) -> Check:
    """The master key seals and opens, the signing key signs what its public key verifies."""

    async def check() -> CheckResult:
        opened = master_key.open(master_key.seal(PROBE, context=PROBE), context=PROBE) == PROBE
        try:
            Ed25519PublicKey.from_public_bytes(signer.public_key).verify(signer.sign(PROBE), PROBE)
        except InvalidSignature:
            return CheckResult(False, {"signing_key_id": signer.key_id, "signs": False})
        return CheckResult(opened, {"signing_key_id": signer.key_id})

    return check


def sequencer_state(sequencer: Sequencer | None) -> Check:
    """A leader or a follower is ready; a sequencer whose log no longer continues the tree
    is not."""

    async def check() -> CheckResult:
        if sequencer is None:
            return CheckResult(True, {"role": "follower", "sequencing": False})
        role = "leader" if sequencer.leads else "follower"
        return CheckResult(not sequencer.diverged, {"role": role, "diverged": sequencer.diverged})

    return check


def courier_moving(snapshots: Snapshots, clock: Clock, stalled_after: float) -> Check:
    """No copy has waited to be sealed longer than ``stalled_after`` seconds."""

    async def check() -> CheckResult:
        snapshot = await snapshots.fresh()
        if snapshot is None:
            return CheckResult(False, {"error": "store-unanswered"})
        oldest = snapshot.oldest_pending_copy
        waited = 0.0 if oldest is None else (clock.now() - oldest).total_seconds()
        detail = {
            "pending_copies": snapshot.pending_copies,
            "oldest_pending_seconds": round(waited, 3),
            "stalled_after_seconds": stalled_after,
        }
        return CheckResult(waited <= stalled_after, detail)

    return check


@dataclass(frozen=True)
class Parts:
    """What the standard checks look at."""

    store: OperationsStore
    health: StoreHealth
    policy: PolicyInForce
    master_key: MasterKey
    signer: Signer
    sequencer: Sequencer | None
    snapshots: Snapshots
    clock: Clock
    courier_stalled_after: float


def standard_readiness(parts: Parts, *, timeout: float) -> Readiness:
    readiness = Readiness(timeout=timeout)
    readiness.add("store_writable", store_writable(parts.store))
    readiness.add("storage", storage_healthy(parts.health))
    readiness.add("policy_loaded", policy_loaded(parts.policy))
    readiness.add("keys_opened", keys_opened(parts.master_key, parts.signer))
    readiness.add("audit_sequencer", sequencer_state(parts.sequencer))
    readiness.add(
        "courier", courier_moving(parts.snapshots, parts.clock, parts.courier_stalled_after)
    )
    return readiness
