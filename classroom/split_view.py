"""A split view, computed on the exercise's own log: what a forged history would look like, and why it fails.

The platform could try to show one history to a government and another to the public: the
same log, minus one government's request. Both would be signed with the log's key. This
module builds that forged history for real: it takes the leaves the log sealed, removes the
exercise's first sealed filing, and computes the Merkle root of what is left; beside it, the
root of the true log at the same size. The two roots differ, and that is the whole story: a
witness that cosigned the true log refuses to cosign the other, and an auditor who kept the
true checkpoint can show that the forged one does not extend it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from audit import merkle
from audit.models import Checkpoint, LogEntry
from reports.models import Exercise, TakedownRequest

SUBMITTED = "request_submitted"


def _root(leaves: list[bytes]) -> bytes:
    """MTH of the leaves (RFC 9162), keeping only the right edge of the tree."""
    stack: list[tuple[int, bytes]] = []
    for position, leaf in enumerate(leaves):
        value, index = leaf, position
        while index & 1:
            value, index = merkle.node_hash(stack.pop()[1], value), index >> 1
        stack.append((0, value))
    return merkle.root_from_perfect([value for _, value in stack])


@dataclass(frozen=True)
class SplitView:
    checkpoint: Checkpoint  # the true checkpoint everybody was shown
    cosigners: list[str]  # the witnesses that cosigned it
    witnesses: int  # witnesses the platform submits checkpoints to
    quorum: int  # cosignatures a checkpoint needs before receipts cite it
    omitted: TakedownRequest  # the filing the forged history leaves out
    omitted_index: int  # its place in the log
    size: int  # the size of both histories compared (one less than the checkpoint's)
    true_root: bytes
    forged_root: bytes
    recomputed_root: bytes  # the checkpoint's root, recomputed here from the stored leaves

    @property
    def shared_prefix(self) -> int:
        """Entries both histories agree on: everything logged before the omitted filing."""
        return self.omitted_index


def split_view(*, exercise: Exercise) -> SplitView | None:
    """The true and the forged history of the log, or None until a filing of the exercise is sealed and followed."""
    checkpoint = Checkpoint.objects.order_by("-tree_size").first()
    if checkpoint is None or checkpoint.tree_size < 2:
        return None
    entry = (LogEntry.objects.filter(event__exercise=exercise, event__event_type=SUBMITTED,
                                     event__request__isnull=False, index__lt=checkpoint.tree_size - 1)
             .select_related("event__request__agency__jurisdiction").order_by("index").first())
    if entry is None:
        return None
    leaves = [bytes(h) for h in LogEntry.objects.filter(index__lt=checkpoint.tree_size).order_by("index")
              .values_list("leaf_hash", flat=True)]
    size = checkpoint.tree_size - 1
    return SplitView(
        checkpoint=checkpoint,
        cosigners=list(checkpoint.cosignatures.order_by("witness").values_list("witness", flat=True)),
        witnesses=len(settings.CRS_LOG_WITNESSES),
        quorum=settings.CRS_LOG_WITNESS_QUORUM,
        omitted=entry.event.request,
        omitted_index=entry.index,
        size=size,
        true_root=_root(leaves[:size]),
        forged_root=_root(leaves[:entry.index] + leaves[entry.index + 1:]),
        recomputed_root=_root(leaves),
    )
