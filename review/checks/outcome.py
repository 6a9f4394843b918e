"""What a check returns: a verdict, machine-readable flags, findings and an explanation a student can read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    version: str
    verdict: str
    flags: list[str] = field(default_factory=list)
    findings: dict = field(default_factory=dict)
    explanation: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    def has_flag(self, flag: str) -> bool:
        return flag in self.flags
