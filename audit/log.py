"""The transparency log: sealing events into a Merkle tree, signed checkpoints, proofs, verification.

Events are written by the workflow at any pace; the sequencer (``log_seal``, run by
Celery beat every few seconds and callable on demand) takes those not yet sealed,
gives them consecutive leaf indexes in one batch, stores the complete subtrees the
batch finishes, and signs a checkpoint of the new size and root. Filing never waits
on it: the only thing a filing transaction adds is a row in the PendingSeal queue.
"""

from __future__ import annotations

import base64
import bisect
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit import merkle, signing
from audit.canonical import canonical_bytes, event_document
from audit.models import AuditEvent, Checkpoint, Cosignature, LogEntry, PendingSeal, TreeNode
from reports import statements

logger = logging.getLogger(__name__)

# Any fixed number: the key of the PostgreSQL advisory lock that makes sequencers take turns.
SEQUENCER_LOCK_KEY = 0x43525301


def _lock_sequencer() -> None:
    """Serialise sequencers: two at once cannot give one index twice.

    On PostgreSQL a transaction-scoped advisory lock; SQLite's write transactions are
    already exclusive (settings open them IMMEDIATE). The LogEntry primary key is the
    last line of defence either way.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEQUENCER_LOCK_KEY])


def tree_size() -> int:
    latest = Checkpoint.objects.order_by("-tree_size").values_list("tree_size", flat=True).first()
    return latest or 0


class Nodes:
    """Complete-subtree hashes, read from the database once and kept for the life of the object."""

    def __init__(self) -> None:
        self.cache: dict[tuple[int, int], bytes] = {}

    def fetch(self, keys: Iterable[tuple[int, int]]) -> None:
        wanted = [k for k in set(keys) if k not in self.cache]
        leaves = [index for level, index in wanted if level == 0]
        if leaves:
            for index, value in LogEntry.objects.filter(index__in=leaves).values_list("index", "leaf_hash"):
                self.cache[(0, index)] = bytes(value)
        by_level: dict[int, list[int]] = {}
        for level, index in wanted:
            if level:
                by_level.setdefault(level, []).append(index)
        for level, indexes in by_level.items():
            for index, value in TreeNode.objects.filter(level=level, index__in=indexes).values_list("index", "hash"):
                self.cache[(level, index)] = bytes(value)

    def get(self, level: int, index: int) -> bytes:
        if (level, index) not in self.cache:
            self.fetch([(level, index)])
        try:
            return self.cache[(level, index)]
        except KeyError:
            raise LookupError(f"the log has no subtree at level {level}, index {index}") from None

    def subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) from stored complete subtrees (aligned powers of two) and their combination."""
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            return self.get(n.bit_length() - 1, start // n)
        k = merkle.largest_power_of_two_below(n)
        return merkle.node_hash(self.subtree(start, start + k), self.subtree(start + k, end))


def _frontier(size: int, nodes: Nodes) -> list[tuple[int, int, bytes]]:
    """The right edge of a tree of ``size`` leaves: its perfect subtrees as (level, index, hash)."""
    parts = merkle.perfect_subtrees(size)
    nodes.fetch(parts)
    return [(level, index, nodes.get(level, index)) for level, index in parts]


def _extend(frontier: list[tuple[int, int, bytes]], size: int, leaves: list[bytes],
            new_nodes: list[tuple[int, int, bytes]] | None = None) -> list[tuple[int, int, bytes]]:
    """Append leaves to a frontier; every subtree they complete is added to ``new_nodes``."""
    stack = list(frontier)
    for offset, leaf in enumerate(leaves):
        index, level, value = size + offset, 0, leaf
        # While the new node is a right child, merge it with its left sibling on the stack.
        while index & 1:
            left_level, _, left = stack.pop()
            assert left_level == level
            value = merkle.node_hash(left, value)
            level, index = level + 1, index >> 1
            if new_nodes is not None:
                new_nodes.append((level, index, value))
        stack.append((level, index, value))
    return stack


def _sign_checkpoint(size: int, root: bytes) -> Checkpoint:
    now = timezone.now()
    origin = settings.CRS_LOG_ORIGIN
    body = signing.checkpoint_body(origin=origin, tree_size=size, root_hash=root, timestamp=now)
    checkpoint = Checkpoint.objects.create(tree_size=size, root_hash=root, timestamp=now, origin=origin,
                                           signature=signing.sign(body), public_key=signing.public_key_bytes())
    # Witnesses hear of it once it is committed; each in its own task, so one that is down delays only itself.
    for witness in settings.CRS_LOG_WITNESSES:
        transaction.on_commit(lambda name=witness["name"]: current_app.send_task(
            "audit.tasks.checkpoint_witness", args=[name]))
    return checkpoint


def checkpoint_text(checkpoint: Checkpoint) -> bytes:
    """The checkpoint's note text (c2sp.org/tlog-checkpoint): the exact bytes the log and witnesses sign."""
    return signing.checkpoint_body(origin=checkpoint.origin, tree_size=checkpoint.tree_size,
                                   root_hash=bytes(checkpoint.root_hash), timestamp=checkpoint.timestamp)


def checkpoint_note(checkpoint: Checkpoint, cosignatures: Iterable[Cosignature] = ()) -> bytes:
    """The checkpoint as a signed note: its text, an empty line, the log's signature, then each cosignature."""
    key_id = signing.note_key_id(name=checkpoint.origin, public_key=bytes(checkpoint.public_key))
    lines = [signing.signature_line(name=checkpoint.origin, key_id=key_id, signature=bytes(checkpoint.signature))]
    for cosignature in cosignatures:
        lines.append(signing.signature_line(
            name=cosignature.witness, key_id=bytes(cosignature.key_id),
            signature=cosignature.cosigned_at.to_bytes(8, "big") + bytes(cosignature.signature)))
    return checkpoint_text(checkpoint) + b"\n" + "".join(lines).encode()


def log_seal(*, batch_limit: int | None = None) -> Checkpoint | None:
    """Seal pending events into the log and sign a checkpoint; None when there was nothing to seal.

    Events are sealed in the order of their ids; one call seals at most ``batch_limit``
    (CRS_LOG_BATCH) of them in one transaction, so a crash leaves no half-sealed batch.
    """
    batch_limit = batch_limit or settings.CRS_LOG_BATCH
    with transaction.atomic():
        _lock_sequencer()
        pending = list(PendingSeal.objects.order_by("event_id").values_list("event_id", flat=True)[:batch_limit])
        if not pending:
            return None
        events = list(AuditEvent.objects.filter(id__in=pending).order_by("id").values_list("id", "canonical"))
        size = tree_size()
        nodes = Nodes()
        frontier = _frontier(size, nodes)
        leaves = [merkle.leaf_hash(bytes(canonical)) for _, canonical in events]
        completed: list[tuple[int, int, bytes]] = []
        stack = _extend(frontier, size, leaves, completed)
        now = timezone.now()
        LogEntry.objects.bulk_create(LogEntry(index=size + offset, event_id=event_id, leaf_hash=leaf, sealed_at=now)
                                     for offset, ((event_id, _), leaf) in enumerate(zip(events, leaves, strict=True)))
        TreeNode.objects.bulk_create(TreeNode(level=level, index=index, hash=value)
                                     for level, index, value in completed)
        PendingSeal.objects.filter(event_id__in=pending).delete()
        new_size = size + len(leaves)
        return _sign_checkpoint(new_size, merkle.root_from_perfect([value for _, _, value in stack]))


def log_seal_all() -> Checkpoint | None:
    """Seal everything pending, batch after batch (for the on-demand command and tests)."""
    latest = None
    while (checkpoint := log_seal()) is not None:
        latest = checkpoint
    return latest


# --- Proofs --------------------------------------------------------------------------------

class ProofError(ValueError):
    """A proof that cannot be given for these sizes or this index."""


def _known_size(size: int) -> None:
    if not Checkpoint.objects.filter(tree_size=size).exists():
        raise ProofError(f"There is no checkpoint at tree size {size}; ask for a size a checkpoint has signed.")


def inclusion_proof(*, index: int, size: int) -> dict:
    """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves (a checkpointed size)."""
    _known_size(size)
    if not 0 <= index < size:
        raise ProofError(f"Leaf {index} is not in the tree of size {size}.")
    nodes = Nodes()
    path = merkle.inclusion_path(index, size, nodes.subtree)
    root = bytes(Checkpoint.objects.get(tree_size=size).root_hash)
    return {"leaf_index": index, "tree_size": size, "leaf_hash": nodes.get(0, index).hex(),
            "audit_path": [h.hex() for h in path], "root_hash": root.hex()}


def consistency_proof(*, first: int, second: int) -> dict:
    """RFC 9162 consistency proof that the tree of ``second`` leaves extends the tree of ``first``."""
    if not 0 < first <= second:
        raise ProofError("Give 0 < first <= second.")
    _known_size(first)
    _known_size(second)
    nodes = Nodes()
    proof = merkle.consistency_path(first, second, nodes.subtree)
    roots = dict(Checkpoint.objects.filter(tree_size__in=[first, second]).values_list("tree_size", "root_hash"))
    return {"first": first, "second": second, "first_root": bytes(roots[first]).hex(),
            "second_root": bytes(roots[second]).hex(), "proof": [h.hex() for h in proof]}


def checkpoint_document(checkpoint: Checkpoint) -> dict:
    body = checkpoint_text(checkpoint)
    return {"tree_size": checkpoint.tree_size, "root_hash": bytes(checkpoint.root_hash).hex(),
            "timestamp": checkpoint.timestamp, "signature": bytes(checkpoint.signature).hex(),
            "public_key": bytes(checkpoint.public_key).hex(), "key_id": signing.key_id(bytes(checkpoint.public_key)),
            "origin": checkpoint.origin, "signed_note": base64.b64encode(body).decode()}


# --- Seal status for timelines ---------------------------------------------------------------

@dataclass(frozen=True)
class SealStatus:
    log_index: int | None
    checkpoint_size: int | None  # the first checkpoint whose tree contains the event

    @property
    def sealed(self) -> bool:
        return self.log_index is not None


def seal_status(event_ids: Iterable[int]) -> dict[int, SealStatus]:
    """Each event's log index and first checkpoint: one statement on PostgreSQL, two queries elsewhere.

    Every answer that shows a request's timeline asks this; on PostgreSQL it is a statement written
    once (reports.statements) that also finds each leaf's first checkpoint, the smallest tree size
    above its index.
    """
    ids = list(event_ids)
    if connection.vendor == "postgresql":
        with statements.server_bound_cursor() as cursor:
            cursor.execute(_seal_status_sql(), [ids])
            found = {event_id: SealStatus(index, size) for event_id, index, size in cursor.fetchall()}
        return {event_id: found.get(event_id, SealStatus(None, None)) for event_id in ids}
    indexes = dict(LogEntry.objects.filter(event_id__in=ids).values_list("event_id", "index"))
    sizes: list[int] = []
    if indexes:
        sizes = sorted(Checkpoint.objects.filter(tree_size__gt=min(indexes.values()))
                       .values_list("tree_size", flat=True))
    status = {}
    for event_id in ids:
        index = indexes.get(event_id)
        size = None
        if index is not None:
            position = bisect.bisect_right(sizes, index)
            size = sizes[position] if position < len(sizes) else None
        status[event_id] = SealStatus(index, size)
    return status


@lru_cache(maxsize=1)
def _seal_status_sql() -> str:
    table, column = statements.table, statements.column
    index, tree_size = column(LogEntry, "index"), column(Checkpoint, "tree_size")
    # Only quoted names from the models' metadata are spliced in.
    return (f"SELECT e.{column(LogEntry, 'event')}, e.{index}, "  # noqa: S608
            f"(SELECT min(c.{tree_size}) FROM {table(Checkpoint)} c WHERE c.{tree_size} > e.{index}) "
            f"FROM {table(LogEntry)} e WHERE e.{column(LogEntry, 'event')} = ANY(%s)")


# --- Verification ----------------------------------------------------------------------------

@dataclass
class Verification:
    ok: bool = True
    events: int = 0
    pending: int = 0
    checkpoints_checked: int = 0
    first_broken: dict | None = None
    problems: list[str] = field(default_factory=list)

    def fail(self, **broken) -> None:
        if self.first_broken is None:
            self.first_broken = broken
        self.ok = False
        self.problems.append(broken["reason"])

    def as_dict(self) -> dict:
        return {"ok": self.ok, "events": self.events, "pending": self.pending,
                "checkpoints_checked": self.checkpoints_checked, "first_broken": self.first_broken}


def _document_from_row(row: dict) -> dict:
    return event_document(
        uid=str(row["uid"]), event_type=row["event_type"], at=row["created_at"], exercise=row["exercise__slug"],
        request=row["request__reference"], actor_id=f"user:{row['actor_id']}" if row["actor_id"] else "system",
        actor_role=row["actor_role"], payload=row["payload"])


def log_verify(*, chunk: int = 2000, progress=None) -> Verification:
    """Re-compute every leaf, the tree and every checkpoint's root and signature; name the first bad leaf.

    Reads the log in index order in chunks, keeping only the tree's right edge in
    memory. A leaf is bad when the event's row no longer matches its canonical bytes,
    or the bytes no longer hash to the sealed leaf; a checkpoint is bad when its root
    differs from the recomputed one or its signature does not verify.
    """
    result = Verification(pending=PendingSeal.objects.count())
    checkpoints = {c.tree_size: c for c in Checkpoint.objects.order_by("tree_size")}
    frontier: list[tuple[int, int, bytes]] = []
    size = 0
    columns = ("index", "leaf_hash", "event_id", "event__uid", "event__event_type", "event__created_at",
               "event__exercise__slug", "event__request__reference", "event__actor_id", "event__actor_role",
               "event__payload", "event__canonical")
    last = -1
    while True:
        rows = list(LogEntry.objects.filter(index__gt=last).order_by("index").values_list(*columns)[:chunk])
        if not rows:
            break
        leaves = []
        completed: list[tuple[int, int, bytes]] = []
        for row in rows:
            (index, stored_leaf, event_id, uid, event_type, created_at, exercise, reference, actor_id, role, payload,
             canonical) = row
            canonical = bytes(canonical)
            expected = size + len(leaves)
            if index != expected:
                result.fail(leaf_index=expected, event_id=None, reason=f"leaf {expected} is missing")
            document = _document_from_row({"uid": uid, "event_type": event_type, "created_at": created_at,
                                           "exercise__slug": exercise, "request__reference": reference,
                                           "actor_id": actor_id, "actor_role": role, "payload": payload})
            if canonical_bytes(document) != canonical:
                result.fail(leaf_index=index, event_id=event_id,
                            reason=f"leaf {index} (event {event_id}): the event's fields no longer match its "
                                   "canonical bytes")
            leaf = merkle.leaf_hash(canonical)
            if leaf != bytes(stored_leaf):
                result.fail(leaf_index=index, event_id=event_id,
                            reason=f"leaf {index} (event {event_id}): its canonical bytes no longer hash to the "
                                   "sealed leaf hash")
            leaves.append(bytes(stored_leaf))
            result.events += 1
        # Rebuild the tree from the stored leaves, checking each checkpoint inside this chunk as we pass it.
        for leaf in leaves:
            frontier = _extend(frontier, size, [leaf], completed)
            size += 1
            if size in checkpoints:
                _check_checkpoint(result, checkpoints[size], merkle.root_from_perfect([h for _, _, h in frontier]))
        _check_nodes(result, completed)
        last = rows[-1][0]
        if progress is not None:
            progress(len(rows))
    beyond = [checkpoint_size for checkpoint_size in checkpoints if checkpoint_size > size]
    if beyond:
        result.fail(leaf_index=size, event_id=None,
                    reason=f"checkpoint {beyond[0]} covers leaves the log does not have (it has {size})")
    return result


def _check_checkpoint(result: Verification, checkpoint: Checkpoint, root: bytes) -> None:
    result.checkpoints_checked += 1
    body = checkpoint_text(checkpoint)
    if bytes(checkpoint.root_hash) != root:
        result.fail(leaf_index=checkpoint.tree_size - 1, event_id=None,
                    reason=f"checkpoint {checkpoint.tree_size}: signed root differs from the recomputed tree")
    if not signing.signature_valid(public_key=bytes(checkpoint.public_key), body=body,
                                   signature=bytes(checkpoint.signature)):
        result.fail(leaf_index=checkpoint.tree_size - 1, event_id=None,
                    reason=f"checkpoint {checkpoint.tree_size}: the signature does not verify")


def _check_nodes(result: Verification, completed: list[tuple[int, int, bytes]]) -> None:
    """The stored complete subtrees (which proofs are built from) must equal the recomputed ones."""
    if not completed:
        return
    nodes = Nodes()
    nodes.fetch((level, index) for level, index, _ in completed)
    for level, index, value in completed:
        stored = nodes.cache.get((level, index))
        if stored != value:
            first_leaf = index << level
            result.fail(leaf_index=first_leaf, event_id=None,
                        reason=f"stored subtree at level {level}, index {index} (leaves {first_leaf}-"
                               f"{first_leaf + (1 << level) - 1}) differs from the recomputed one")



def log_public_status() -> dict:
    """What the public transparency page shows of the log: the key to pin and the latest checkpoint."""
    latest = Checkpoint.objects.order_by("-tree_size").first()
    return {"public_key": signing.public_key_bytes().hex(), "origin": settings.CRS_LOG_ORIGIN,
            "vkey": signing.log_vkey(), "checkpoint": checkpoint_document(latest) if latest else None}
