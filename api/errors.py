"""The one error tree of zhiqian.

::

    ZhiqianError
    ├── RuleError              a rule pack or calendar file is wrong (every problem, each file:line)
    ├── InvalidIntake          a complaint record is rejected (every field problem); nothing is written
    ├── Refused                an operation the rules do not allow; nothing changed
    │   ├── TransitionRefused  event not allowed in the case's state
    │   └── ExtensionRefused   extension beyond the rule's bound, or not allowed at all
    ├── CaseNotFound           (also a LookupError)
    ├── UnknownName            a name looked up is not there (also a KeyError): clock, event, role…
    ├── InvalidArgument        an argument outside what a call accepts (also a ValueError)
    ├── DuplicateCase          a case with this external ref exists already
    ├── ConflictError          optimistic lock lost: someone else changed the case first
    ├── StoreError             the database is unusable (schema missing, wrong revision)
    ├── AuditError             the hash chain of the event log does not verify
    └── NotifierError          a channel failed; ``retryable`` says whether to try again

Every error carries the offending values as attributes, so a host system can react without parsing
messages; the messages themselves name what is wrong and are safe to show to a clerk.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "AuditError",
    "CaseNotFound",
    "ConflictError",
    "DuplicateCase",
    "ExtensionRefused",
    "FieldProblem",
    "InvalidArgument",
    "InvalidIntake",
    "NotifierError",
    "Refused",
    "RuleError",
    "RuleProblem",
    "StoreError",
    "TransitionRefused",
    "UnknownName",
    "ZhiqianError",
]


class ZhiqianError(Exception):
    """Root of every error zhiqian raises on purpose."""


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """One problem in a rule pack or calendar file, located as ``file:line``."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


class RuleError(ZhiqianError):
    """A rule pack (or calendar data file) is invalid. ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        self.problems: tuple[RuleProblem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid rule pack")

    @property
    def file(self) -> str | None:
        return self.problems[0].file if self.problems else None

    @property
    def line(self) -> int | None:
        return self.problems[0].line if self.problems else None


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One field of an intake record and what is wrong with its value."""

    field: str
    value: object
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem} (got {self.value!r})"


class InvalidIntake(ZhiqianError, ValueError):
    """A complaint record was rejected; ``problems`` names each field. Nothing was written."""

    def __init__(self, problems: Sequence[FieldProblem], *, record: int | None = None) -> None:
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        self.record = record
        head = f"record {record}: " if record is not None else ""
        super().__init__(head + "; ".join(str(p) for p in self.problems))

    @property
    def field(self) -> str | None:
        return self.problems[0].field if self.problems else None

    @property
    def value(self) -> object:
        return self.problems[0].value if self.problems else None


class Refused(ZhiqianError):
    """The rules do not allow this operation now. Nothing was changed."""


class TransitionRefused(Refused):
    """``event`` is not allowed while case ``case`` is in ``state``."""

    def __init__(self, *, case: object, event: str, state: str, why: str | None = None) -> None:
        self.case = case
        self.event = event
        self.state = state
        self.why = why
        msg = f"case {case}: event {event!r} is not allowed in state {state!r}"
        super().__init__(msg + (f" ({why})" if why else ""))


class ExtensionRefused(Refused):
    """An extension of clock ``clock`` was refused (not extendable, over its bound, no approver)."""

    def __init__(self, *, case: object, clock: str, why: str) -> None:
        self.case = case
        self.clock = clock
        self.why = why
        super().__init__(f"case {case}: extension of clock {clock!r} refused: {why}")


class CaseNotFound(ZhiqianError, LookupError):
    """No case with this id (or ref)."""

    def __init__(self, case: object) -> None:
        self.case = case
        super().__init__(f"no case {case!r}")


class UnknownName(ZhiqianError, KeyError):
    """``name`` is not a ``kind`` that ``where`` knows (a clock of a pack, a template, a division
    code…). ``known`` lists what is known when the list is short enough to be useful; ``why``
    says more when the table can (a withdrawn code, a malformed one).

    Also a ``KeyError`` (so also a ``LookupError``): code that caught the bare ``KeyError`` these
    lookups used to raise keeps working.
    """

    def __init__(
        self,
        *,
        kind: str,
        name: object,
        where: str | None = None,
        known: Iterable[str] = (),
        why: str | None = None,
    ) -> None:
        self.kind = kind
        self.name = name
        self.where = where
        self.known: tuple[str, ...] = tuple(known)
        self.why = why
        head = f"{where} has no {kind}" if where else f"unknown {kind}"
        because = f" ({why})" if why else ""
        tail = f"; known: {', '.join(self.known)}" if self.known else ""
        self.message = f"{head} {name!r}{because}{tail}"
        super().__init__(self.message)

    def __str__(self) -> str:
        # KeyError's own __str__ shows repr(message): quotes around a sentence for a clerk.
        return self.message


class InvalidArgument(ZhiqianError, ValueError):
    """Argument ``name`` has a value (``value``) the call does not accept; ``why`` says what it
    accepts. Nothing was read or written. Also a ``ValueError``."""

    def __init__(self, *, name: str, value: object, why: str) -> None:
        self.name = name
        self.value = value
        self.why = why
        super().__init__(f"{name}: {why}, got {value!r}")


class DuplicateCase(ZhiqianError):
    """A case with external reference ``ref`` exists already (id ``existing``)."""

    def __init__(self, ref: str, existing: int | None = None) -> None:
        self.ref = ref
        self.existing = existing
        super().__init__(
            f"a case with ref {ref!r} exists already"
            + (f" (id {existing})" if existing is not None else "")
        )


class ConflictError(ZhiqianError):
    """Case ``case`` changed since version ``expected`` was read; reload and try again."""

    def __init__(self, *, case: object, expected: int) -> None:
        self.case = case
        self.expected = expected
        super().__init__(
            f"case {case} was changed by someone else (expected version {expected}); reload it"
        )


class StoreError(ZhiqianError):
    """The database cannot be used as it is (no schema, an unknown revision, a bad URL)."""


class AuditError(ZhiqianError):
    """The event log does not verify: rows edited, deleted or reordered."""

    def __init__(self, findings: Sequence[str]) -> None:
        self.findings: tuple[str, ...] = tuple(findings)
        super().__init__("; ".join(self.findings) or "audit chain broken")


class NotifierError(ZhiqianError):
    """A notifier could not deliver. ``retryable`` is False for errors a retry cannot fix."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        self.retryable = retryable
        super().__init__(message)
