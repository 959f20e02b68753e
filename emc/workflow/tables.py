"""The state tables of every object with a life (DESIGN.md §8), as data.

Each :class:`Machine` lists an object's states and its transitions: the action, the permission
it needs, the states it may start from, the state it reaches, which side of the project acts
(:class:`Side`), the separation-of-duty or consent rule in words, and the workflow event it
emits. :func:`emc.workflow.transition` is the one function that performs a transition; the
tables here are pure (no database, no Flask) so that pages, documentation and the to-do list
can read them.

State values are the status columns' values (``ProjectStatus`` etc.). A project's "signed"
state is ``contracted``: both parties have signed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from emc.auth.permissions import Permission
from emc.messages import N_


class Side(StrEnum):
    """Which party of the object's project acts."""

    INSTITUTION = "institution"  # the project's (or audit's) institution
    ESCO = "esco"  # the project's contracted ESCO
    AUDITOR = "auditor"  # the audit body commissioned for an audit
    EITHER = "either"  # either contracting party (institution or ESCO)
    PROPOSER = "proposer"  # the organisation that proposed the object
    OTHER = "other"  # a contracting party that did NOT propose the object
    # (EITHER and OTHER include an incoming ESCO that the object names: see Parties)


@dataclass(frozen=True)
class Consent:
    """Both contracting parties must consent: each side's record is ``<prefix>_by_user_id``
    and ``<prefix>_at`` on the object. The transition reaches its target once both exist.

    ``incoming``: the prefix of a third party's consent, needed when the object names one (an
    amendment that swaps the ESCO needs the incoming ESCO's agreement too)."""

    institution: str
    esco: str
    incoming: str | None = None


@dataclass(frozen=True)
class Transition:
    action: str
    # The permission needed (a tuple: any of them).
    permission: Permission | tuple[Permission, ...]
    sources: frozenset[str]
    # None: the state does not change (the transition still bumps the row version, journals
    # and emits its event; e.g. a revision that creates a new version).
    target: str | None
    side: Side | None
    rule: str = ""
    consent: Consent | None = None
    # The event emitted; a consent transition emits ``<event>_partly`` until both agreed.
    event: str = ""


@dataclass(frozen=True)
class Machine:
    name: str
    states: tuple[str, ...]
    initial: str
    transitions: tuple[Transition, ...]
    # Events of creation (an object born in its initial state by a "propose" use case).
    created_event: str | None = None
    by_action: dict[str, Transition] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        actions = {t.action: t for t in self.transitions}
        assert len(actions) == len(self.transitions), f"{self.name}: duplicate action"
        for t in self.transitions:
            assert t.sources <= set(self.states), f"{self.name}.{t.action}: unknown source"
            assert t.target is None or t.target in self.states, f"{self.name}.{t.action}"
        object.__setattr__(self, "by_action", actions)

    def get(self, action: str) -> Transition:
        return self.by_action[action]

    def allowed(self, state: str) -> list[Transition]:
        """The transitions that may start from ``state`` (for buttons and to-do lists)."""
        return [t for t in self.transitions if state in t.sources]


def _s(*states: str) -> frozenset[str]:
    return frozenset(states)


P = Permission
_BOTH_SIGN = Consent("institution_signed", "esco_signed")
_BOTH_AGREE = Consent("institution_agreed", "esco_agreed")
# An ESCO swap: the institution, the outgoing ESCO and the incoming one.
_ALL_AGREE = Consent("institution_agreed", "esco_agreed", incoming="incoming_esco_agreed")

PROJECT = Machine(
    "project",
    ("draft", "proposed", "contracted", "implementing", "operating", "completed", "terminated"),
    "draft",
    (
        Transition(
            "propose",
            P.CONTRACTS_PROJECT_MANAGE,
            _s("draft"),
            "proposed",
            Side.INSTITUTION,
            N_("the institution drafts and proposes"),
            event="project_proposed",
        ),
        Transition(
            "withdraw",
            P.CONTRACTS_PROJECT_MANAGE,
            _s("proposed"),
            "draft",
            Side.INSTITUTION,
            N_("the institution takes a proposal back to draft (signatures are cleared)"),
            event="project_withdrawn",
        ),
        Transition(
            "sign",
            (P.CONTRACTS_PROJECT_MANAGE, P.CONTRACTS_CONTRACT_AGREE),
            _s("proposed"),
            "contracted",
            Side.EITHER,
            N_("both parties sign; signed once both have"),
            consent=_BOTH_SIGN,
            event="project_signed",
        ),
        Transition(
            "start_works",
            P.CONTRACTS_PROJECT_MANAGE,
            _s("contracted"),
            "implementing",
            Side.INSTITUTION,
            N_("the institution records the start of the works"),
            event="project_implementing",
        ),
        Transition(
            "start_operation",
            P.CONTRACTS_PROJECT_MANAGE,
            _s("contracted", "implementing"),
            "operating",
            Side.INSTITUTION,
            N_("the institution accepts the works and records the start of operation"),
            event="project_operating",
        ),
        Transition(
            "complete",
            P.CONTRACTS_PROJECT_MANAGE,
            _s("operating"),
            "completed",
            Side.INSTITUTION,
            N_("the institution records the end of the term"),
            event="project_completed",
        ),
        Transition(
            "terminate",
            P.CONTRACTS_PROJECT_MANAGE,
            _s("draft", "proposed", "contracted", "implementing", "operating"),
            "terminated",
            Side.INSTITUTION,
            N_("the institution terminates with a reason"),
            event="project_terminated",
        ),
    ),
)

_AGREEMENT_STATES = ("proposed", "agreed", "rejected", "withdrawn")


def _agreement(name: str, consent: Consent = _BOTH_AGREE) -> Machine:
    """Proposed by either contracting party (its own agreement is recorded with the proposal
    when the proposer may agree); agreed by the others; rejected by a party that did not
    propose it; withdrawn by its proposer."""
    return Machine(
        name,
        _AGREEMENT_STATES,
        "proposed",
        (
            Transition(
                "agree",
                P.CONTRACTS_CONTRACT_AGREE,
                _s("proposed"),
                "agreed",
                Side.EITHER,
                N_(
                    "both parties agree (and an incoming ESCO, when it swaps the ESCO); it "
                    "applies once all have"
                ),
                consent=consent,
                event=f"{name}_agreed",
            ),
            Transition(
                "reject",
                P.CONTRACTS_CONTRACT_AGREE,
                _s("proposed"),
                "rejected",
                Side.OTHER,
                N_("a party that did not propose it rejects it, with a comment"),
                event=f"{name}_rejected",
            ),
            Transition(
                "withdraw",
                (P.CONTRACTS_PROJECT_MANAGE, P.CONTRACTS_CONTRACT_AGREE),
                _s("proposed"),
                "withdrawn",
                Side.PROPOSER,
                N_("its proposer withdraws it"),
                event=f"{name}_withdrawn",
            ),
        ),
        created_event=f"{name}_proposed",
    )


AMENDMENT = _agreement("amendment", _ALL_AGREE)
CUSTODY_ADJUSTMENT = _agreement("custody_adjustment")

BASELINE = Machine(
    "baseline",
    ("proposed", "approved", "rejected", "superseded"),
    "proposed",
    (
        Transition(
            "approve",
            P.MV_APPROVE,
            _s("proposed"),
            "approved",
            Side.INSTITUTION,
            N_(
                "the institution decides; a failing verdict needs an override reason; approved "
                "baselines are frozen"
            ),
            event="baseline_approved",
        ),
        Transition(
            "reject",
            P.MV_APPROVE,
            _s("proposed"),
            "rejected",
            Side.INSTITUTION,
            N_("the institution decides, with a comment"),
            event="baseline_rejected",
        ),
    ),
    created_event="baseline_proposed",
)

REPORT = Machine(
    "report",
    ("draft", "submitted", "accepted", "disputed", "superseded"),
    "draft",
    (
        Transition(
            "submit",
            P.MV_PROPOSE,
            _s("draft"),
            "submitted",
            Side.ESCO,
            N_("the ESCO submits its own report"),
            event="report_submitted",
        ),
        Transition(
            "accept",
            P.MV_APPROVE,
            _s("submitted"),
            "accepted",
            Side.INSTITUTION,
            N_(
                "the institution decides (an ESCO never accepts its own report); every "
                "non-routine adjustment agreed by both"
            ),
            event="report_accepted",
        ),
        Transition(
            "dispute",
            P.MV_APPROVE,
            _s("submitted"),
            "disputed",
            Side.INSTITUTION,
            N_("the institution disputes with a comment"),
            event="report_disputed",
        ),
        Transition(
            "revise",
            P.MV_PROPOSE,
            _s("draft", "disputed"),
            None,
            Side.ESCO,
            N_("the ESCO revises as a new version (a recomputed draft is superseded)"),
            event="report_revised",
        ),
    ),
)

MV_ADJUSTMENT = Machine(
    "mv_adjustment",
    ("proposed", "agreed"),
    "proposed",
    (
        Transition(
            "agree",
            P.MV_READ,
            _s("proposed"),
            "agreed",
            Side.EITHER,
            N_("either party proposes (and agrees by proposing); the other agrees"),
            consent=_BOTH_AGREE,
            event="mv_adjustment_agreed",
        ),
    ),
    created_event="mv_adjustment_proposed",
)

# The M&V plan has one state: either party's M&V roles change it, each change a new version
# (a baseline records the plan version it was fitted with, so nothing approved moves).
MV_PLAN = Machine(
    "mv_plan",
    ("current",),
    "current",
    (
        Transition(
            "change",
            P.MV_PLAN_EDIT,
            _s("current"),
            None,
            Side.EITHER,
            N_("either party's M&V roles change the plan; each change is a new version"),
            event="mv_plan_changed",
        ),
    ),
)

PAYMENT_LINE = Machine(
    "payment_line",
    ("scheduled", "prepared", "approved", "paid", "on_hold"),
    "scheduled",
    (
        Transition(
            "prepare",
            P.CONTRACTS_PAYMENT_PREPARE,
            _s("scheduled"),
            "prepared",
            None,
            N_("finance prepares an actual line"),
            event="payment_line_prepared",
        ),
        Transition(
            "approve",
            P.CONTRACTS_PAYMENT_APPROVE,
            _s("prepared"),
            "approved",
            None,
            N_("another finance user approves: never the preparer"),
            event="payment_line_approved",
        ),
        Transition(
            "pay",
            P.CONTRACTS_PAYMENT_PAY,
            _s("approved"),
            "paid",
            None,
            N_(
                "finance records the payment: a paid date not in the future nor before the "
                "period, and the payment reference"
            ),
            event="payment_line_paid",
        ),
        Transition(
            "hold",
            P.CONTRACTS_PAYMENT_PREPARE,
            _s("scheduled", "prepared", "approved"),
            "on_hold",
            None,
            N_("finance parks a line with a reason"),
            event="payment_line_held",
        ),
        Transition(
            "release",
            P.CONTRACTS_PAYMENT_PREPARE,
            _s("on_hold"),
            None,
            None,
            N_("back to prepared (approval withdrawn) or scheduled"),
            event="payment_line_released",
        ),
    ),
)

AUDIT = Machine(
    "audit",
    ("draft", "submitted", "accepted", "returned"),
    "draft",
    (
        Transition(
            "submit",
            P.AUDITS_RECORD,
            _s("draft", "returned"),
            "submitted",
            Side.AUDITOR,
            N_("the commissioned auditor submits"),
            event="audit_submitted",
        ),
        Transition(
            "accept",
            P.AUDITS_COMMISSION,
            _s("submitted"),
            "accepted",
            Side.INSTITUTION,
            N_("the institution decides"),
            event="audit_accepted",
        ),
        Transition(
            "return",
            P.AUDITS_COMMISSION,
            _s("submitted"),
            "returned",
            Side.INSTITUTION,
            N_("the institution returns it with comments"),
            event="audit_returned",
        ),
        Transition(
            "revise",
            P.AUDITS_READ,
            _s("accepted"),
            None,
            None,
            N_("a new version of an accepted audit (once)"),
            event="audit_revised",
        ),
    ),
)

MACHINES: dict[str, Machine] = {
    m.name: m
    for m in (
        PROJECT,
        AMENDMENT,
        CUSTODY_ADJUSTMENT,
        BASELINE,
        REPORT,
        MV_ADJUSTMENT,
        MV_PLAN,
        PAYMENT_LINE,
        AUDIT,
    )
}


def event_kinds() -> list[str]:
    """Every workflow event kind the tables can emit (consent steps also ``<kind>_partly``)."""
    kinds: list[str] = []
    for machine in MACHINES.values():
        if machine.created_event:
            kinds.append(machine.created_event)
        for t in machine.transitions:
            kinds.append(t.event)
            if t.consent is not None:
                kinds.append(f"{t.event}_partly")
    return kinds
