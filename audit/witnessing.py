"""Submitting checkpoints to witnesses (c2sp.org/tlog-witness v1.0.0) and keeping their cosignatures.

A witness remembers the last checkpoint it cosigned for this log and cosigns a new one
only with a consistency proof from that one. Once several independent witnesses have
cosigned a checkpoint, the log cannot show anyone a history that disagrees with it
without the witnesses refusing: a split view needs the witnesses' collusion.

Each witness is served by its own task (audit/tasks.py:checkpoint_witness), so one that
is slow or down delays nothing but its own cosignature. The HTTP exchange happens
outside any database transaction.
"""

from __future__ import annotations

import base64
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from audit import merkle, signing
from audit.log import Nodes, checkpoint_note, checkpoint_text
from audit.models import Checkpoint, Cosignature, WitnessState

logger = logging.getLogger(__name__)

# A log retries from the witness's size after a 409; twice is enough unless the witness keeps moving.
CONFLICT_RETRIES = 2
ANSWER_MAX = 64 * 1024  # bytes read from a witness's answer


class WitnessUnavailable(Exception):
    """The witness could not be reached or refused the checkpoint: try again later."""


@dataclass(frozen=True)
class WitnessConfig:
    name: str
    key: signing.VerifierKey
    url: str


def witnesses_configured() -> list[WitnessConfig]:
    return [WitnessConfig(name=w["name"], key=signing.vkey_parse(vkey=w["vkey"]), url=w["url"])
            for w in settings.CRS_LOG_WITNESSES]


def _witness(name: str) -> WitnessConfig:
    for witness in witnesses_configured():
        if witness.name == name:
            return witness
    raise ValueError(f"no witness named {name!r} in CRS_LOG_WITNESSES")


def add_checkpoint_body(*, old_size: int, checkpoint: Checkpoint) -> bytes:
    """The add-checkpoint request: ``old <size>``, the consistency proof from it (base64 lines), an empty line,
    the signed checkpoint. From size 0 (a witness that never saw this log) the proof is empty."""
    proof: list[bytes] = []
    if 0 < old_size < checkpoint.tree_size:
        proof = merkle.consistency_path(old_size, checkpoint.tree_size, Nodes().subtree)
    lines = [f"old {old_size}\n"] + [base64.b64encode(h).decode() + "\n" for h in proof] + ["\n"]
    return "".join(lines).encode() + checkpoint_note(checkpoint)


def cosignature_parse(*, witness: WitnessConfig, answer: bytes, checkpoint: Checkpoint) -> tuple[int, bytes]:
    """The witness's (time, signature) from its answer, after checking it against the pinned key."""
    text = checkpoint_text(checkpoint)
    for line in answer.decode("utf-8", errors="replace").splitlines():
        if not line.startswith(signing.SIGNATURE_PREFIX):
            continue
        name, _, encoded = line[len(signing.SIGNATURE_PREFIX):].partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError:
            continue
        if name != witness.name or len(raw) != 4 + 8 + 64 or raw[:4] != witness.key.key_id:
            continue
        timestamp, signature = int.from_bytes(raw[4:12], "big"), raw[12:]
        try:
            Ed25519PublicKey.from_public_bytes(witness.key.public_key).verify(
                signature, signing.cosigned_message(timestamp=timestamp, text=text))
        except InvalidSignature:
            raise WitnessUnavailable(f"witness {witness.name} answered a cosignature that does not verify") from None
        return timestamp, signature
    raise WitnessUnavailable(f"witness {witness.name} answered 200 without a cosignature by its key")


def _post(witness: WitnessConfig, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(f"{witness.url}/add-checkpoint", data=body, method="POST",  # noqa: S310
                                     headers={"Content-Type": "text/plain; charset=utf-8"})
    try:
        # The URL is the operator's configuration, checked to be http(s) at start-up.
        with urllib.request.urlopen(request, timeout=settings.CRS_LOG_WITNESS_TIMEOUT_S) as response:  # noqa: S310
            return response.status, response.read(ANSWER_MAX)
    except urllib.error.HTTPError as error:
        return error.code, error.read(ANSWER_MAX)
    except (urllib.error.URLError, OSError) as error:
        raise WitnessUnavailable(f"witness {witness.name} at {witness.url} is unreachable: {error}") from None


def _failed(name: str, message: str) -> WitnessUnavailable:
    WitnessState.objects.filter(name=name).update(last_error=message, last_error_at=timezone.now())
    logger.warning("witness: %s", message)
    return WitnessUnavailable(message)


def checkpoint_witness(*, name: str) -> Cosignature | None:
    """Have witness ``name`` cosign the latest checkpoint; the stored cosignature, or None when there is nothing
    to cosign. Safe to run twice: a checkpoint it already cosigned is not sent again.

    On 409 the witness says which size it holds and the checkpoint is resent with a proof from
    that size. Any other failure is recorded on the witness's state and raised as
    WitnessUnavailable, for the task to retry later.
    """
    witness = _witness(name)
    WitnessState.objects.get_or_create(name=name)
    checkpoint = Checkpoint.objects.order_by("-tree_size").first()
    if checkpoint is None:
        return None
    existing = Cosignature.objects.filter(checkpoint=checkpoint, witness=name).first()
    if existing is not None:
        return existing
    old_size = WitnessState.objects.get(name=name).witness_size
    for _ in range(CONFLICT_RETRIES + 1):
        if old_size > checkpoint.tree_size:
            raise _failed(name, f"witness {name} holds size {old_size}, more than the log's {checkpoint.tree_size}")
        try:
            status, answer = _post(witness, add_checkpoint_body(old_size=old_size, checkpoint=checkpoint))
        except WitnessUnavailable as error:
            raise _failed(name, str(error)) from None
        if status == 409:
            try:
                old_size = int(answer.decode().strip())
            except ValueError:
                raise _failed(name, f"witness {name} answered 409 without its size: {answer[:200]!r}") from None
            WitnessState.objects.filter(name=name).update(witness_size=old_size)
            continue
        if status != 200:
            raise _failed(name, f"witness {name} refused size {checkpoint.tree_size} with {status}: "
                                f"{answer.decode(errors='replace')[:300].strip()}")
        try:
            timestamp, signature = cosignature_parse(witness=witness, answer=answer, checkpoint=checkpoint)
        except WitnessUnavailable as error:
            raise _failed(name, str(error)) from None
        Cosignature.objects.bulk_create([Cosignature(checkpoint=checkpoint, witness=name, key_id=witness.key.key_id,
                                                     cosigned_at=timestamp, signature=signature)],
                                        ignore_conflicts=True)
        # Only ever forward: a late answer for an older checkpoint does not move the state back.
        WitnessState.objects.filter(name=name, cosigned_size__lt=checkpoint.tree_size).update(
            cosigned_size=checkpoint.tree_size, witness_size=checkpoint.tree_size, cosigned_at=timezone.now(),
            last_error="", last_error_at=None)
        return Cosignature.objects.get(checkpoint=checkpoint, witness=name)
    raise _failed(name, f"witness {name} kept answering 409 (last size {old_size})")


def witnesses_behind() -> list[str]:
    """The configured witnesses that have not cosigned the latest checkpoint."""
    latest = Checkpoint.objects.order_by("-tree_size").values_list("tree_size", flat=True).first()
    if latest is None:
        return []
    done = set(Cosignature.objects.filter(checkpoint_id=latest).values_list("witness", flat=True))
    return [w.name for w in witnesses_configured() if w.name not in done]


def checkpoint_quorate(*, min_size: int = 1) -> Checkpoint | None:
    """The latest checkpoint of at least ``min_size`` leaves with the cosignatures CRS_LOG_WITNESS_QUORUM asks for
    (from configured witnesses only)."""
    names = [w.name for w in witnesses_configured()]
    candidates = Checkpoint.objects.filter(tree_size__gte=min_size).order_by("-tree_size")
    quorum = settings.CRS_LOG_WITNESS_QUORUM
    if quorum:
        candidates = (candidates.annotate(witnessed=Count("cosignatures", filter=Q(cosignatures__witness__in=names)))
                      .filter(witnessed__gte=quorum))
    return candidates.first()
