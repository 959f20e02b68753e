"""Workflow events → notifications to the party whose turn it is.

One rule per event kind: which organisation's users (holding which permission) are told, with
an English msgid subject and body (``%(name)s`` placeholders, translated per reader) and the
object's page. The acting user is never told of their own step, and a payment line prepared by
one finance user goes to the *other* finance users. Messages are deduplicated per object,
transition and version. This listener is the only path: no service notifies of its own steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc.auth.models import Organization, User
from emc.auth.permissions import GRANTS, Permission
from emc.i18n import N_
from emc.notifications.service import notify
from emc.workflow.events import WorkflowEvent, listen

P = Permission

# Who is told: "institution", "esco", "auditor" (an audit's), "both" (every party whose consent
# the object needs: an incoming ESCO too), "other" (those parties but the one that acted),
# "waiting" (the parties whose consent is still missing).


@dataclass(frozen=True)
class Rule:
    to: str
    permission: Permission
    subject: str
    body: str


RULES: dict[str, Rule] = {
    "project_proposed": Rule(
        "esco",
        P.CONTRACTS_READ,
        N_("Project proposed to you: %(name)s"),
        N_("%(actor_org)s proposed the EMC project %(name)s. Review it and sign it."),
    ),
    "project_withdrawn": Rule(
        "esco",
        P.CONTRACTS_READ,
        N_("Project proposal withdrawn: %(name)s"),
        N_("%(actor_org)s took the proposal of %(name)s back to draft."),
    ),
    "project_signed_partly": Rule(
        "waiting",
        P.CONTRACTS_CONTRACT_AGREE,
        N_("Your signature is awaited: %(name)s"),
        N_("%(actor_org)s signed the project %(name)s. It is signed once both parties have."),
    ),
    "project_signed": Rule(
        "both",
        P.CONTRACTS_READ,
        N_("Project signed by both parties: %(name)s"),
        N_("The project %(name)s is signed by both parties."),
    ),
    "project_implementing": Rule(
        "esco",
        P.CONTRACTS_READ,
        N_("Works started: %(name)s"),
        N_("%(actor_org)s recorded the start of the works of %(name)s."),
    ),
    "project_operating": Rule(
        "esco",
        P.CONTRACTS_READ,
        N_("Project in operation: %(name)s"),
        N_("%(actor_org)s accepted the works of %(name)s and recorded the start of operation."),
    ),
    "project_completed": Rule(
        "esco",
        P.CONTRACTS_READ,
        N_("Project completed: %(name)s"),
        N_("%(actor_org)s recorded the end of the term of %(name)s."),
    ),
    "project_terminated": Rule(
        "esco",
        P.CONTRACTS_READ,
        N_("Project terminated: %(name)s"),
        N_("%(actor_org)s terminated the project %(name)s."),
    ),
    "amendment_proposed": Rule(
        "waiting",
        P.CONTRACTS_CONTRACT_AGREE,
        N_("Contract amendment to agree: %(name)s"),
        N_("%(actor_org)s proposed an amendment of the contract of %(name)s. Agree or reject it."),
    ),
    "amendment_agreed_partly": Rule(
        "waiting",
        P.CONTRACTS_CONTRACT_AGREE,
        N_("Contract amendment awaits your agreement: %(name)s"),
        N_("%(actor_org)s agreed to an amendment of the contract of %(name)s."),
    ),
    "amendment_agreed": Rule(
        "both",
        P.CONTRACTS_READ,
        N_("Contract amendment agreed: %(name)s"),
        N_("Both parties agreed to the amendment of the contract of %(name)s; it applies now."),
    ),
    "amendment_rejected": Rule(
        "other",
        P.CONTRACTS_READ,
        N_("Contract amendment rejected: %(name)s"),
        N_("%(actor_org)s rejected an amendment of the contract of %(name)s."),
    ),
    "amendment_withdrawn": Rule(
        "other",
        P.CONTRACTS_READ,
        N_("Contract amendment withdrawn: %(name)s"),
        N_("%(actor_org)s withdrew an amendment of the contract of %(name)s."),
    ),
    "custody_adjustment_proposed": Rule(
        "both",
        P.CONTRACTS_CONTRACT_AGREE,
        N_("Custody fee adjustment to agree: %(name)s"),
        N_("%(actor_org)s proposed a custody fee adjustment of %(name)s. Agree or reject it."),
    ),
    "custody_adjustment_agreed_partly": Rule(
        "waiting",
        P.CONTRACTS_CONTRACT_AGREE,
        N_("Custody fee adjustment awaits your agreement: %(name)s"),
        N_("%(actor_org)s agreed to a custody fee adjustment of %(name)s."),
    ),
    "custody_adjustment_agreed": Rule(
        "both",
        P.CONTRACTS_READ,
        N_("Custody fee adjustment agreed: %(name)s"),
        N_("Both parties agreed to a custody fee adjustment of %(name)s."),
    ),
    "custody_adjustment_rejected": Rule(
        "other",
        P.CONTRACTS_READ,
        N_("Custody fee adjustment rejected: %(name)s"),
        N_("%(actor_org)s rejected a custody fee adjustment of %(name)s."),
    ),
    "custody_adjustment_withdrawn": Rule(
        "other",
        P.CONTRACTS_READ,
        N_("Custody fee adjustment withdrawn: %(name)s"),
        N_("%(actor_org)s withdrew a custody fee adjustment of %(name)s."),
    ),
    "baseline_proposed": Rule(
        "institution",
        P.MV_APPROVE,
        N_("Baseline to approve: %(name)s"),
        N_("%(actor_org)s proposed a baseline for %(name)s. Review it, then approve or reject it."),
    ),
    "baseline_approved": Rule(
        "esco",
        P.MV_PROPOSE,
        N_("Baseline approved: %(name)s"),
        N_("%(actor_org)s approved the baseline of %(name)s. It is frozen from now on."),
    ),
    "baseline_rejected": Rule(
        "esco",
        P.MV_PROPOSE,
        N_("Baseline rejected: %(name)s"),
        N_("%(actor_org)s rejected the baseline of %(name)s: %(comment)s"),
    ),
    "report_submitted": Rule(
        "institution",
        P.MV_APPROVE,
        N_("M&V report to review: %(name)s, %(period)s"),
        N_(
            "%(actor_org)s submitted the M&V report of %(name)s for %(period)s. Accept it or"
            " dispute it."
        ),
    ),
    "report_accepted": Rule(
        "esco",
        P.MV_PROPOSE,
        N_("M&V report accepted: %(name)s, %(period)s"),
        N_(
            "%(actor_org)s accepted the M&V report of %(name)s for %(period)s; its savings are"
            " verified."
        ),
    ),
    "report_disputed": Rule(
        "esco",
        P.MV_PROPOSE,
        N_("M&V report disputed: %(name)s, %(period)s"),
        N_("%(actor_org)s disputed the M&V report of %(name)s for %(period)s: %(comment)s"),
    ),
    "mv_adjustment_proposed": Rule(
        "other",
        P.MV_READ,
        N_("Non-routine adjustment to agree: %(name)s"),
        N_("%(actor_org)s proposed a non-routine adjustment in an M&V report of %(name)s."),
    ),
    "mv_adjustment_agreed": Rule(
        "other",
        P.MV_READ,
        N_("Non-routine adjustment agreed: %(name)s"),
        N_("Both parties agreed to a non-routine adjustment in an M&V report of %(name)s."),
    ),
    "payment_line_prepared": Rule(
        "institution",
        P.CONTRACTS_PAYMENT_APPROVE,
        N_("Payment line to approve: %(name)s"),
        N_(
            "%(actor)s prepared a payment line of %(name)s (%(amount)s yuan, due %(due_on)s). "
            "Another finance user must approve it."
        ),
    ),
    "payment_line_approved": Rule(
        "institution",
        P.CONTRACTS_PAYMENT_PAY,
        N_("Payment line to pay: %(name)s"),
        N_("%(actor)s approved a payment line of %(name)s (%(amount)s yuan, due %(due_on)s)."),
    ),
    "audit_submitted": Rule(
        "institution",
        P.AUDITS_COMMISSION,
        N_("Energy audit submitted for review: %(title)s"),
        N_(
            "%(auditor)s submitted version %(version)s of the energy audit %(title)s. "
            "Review it, then accept it or return it with comments."
        ),
    ),
    "audit_accepted": Rule(
        "auditor",
        P.AUDITS_READ,
        N_("Energy audit accepted: %(title)s"),
        N_("%(institution)s accepted version %(version)s of the energy audit %(title)s."),
    ),
    "audit_returned": Rule(
        "auditor",
        P.AUDITS_READ,
        N_("Energy audit returned: %(title)s"),
        N_(
            "%(institution)s returned version %(version)s of the energy audit %(title)s with "
            "comments: %(comment)s"
        ),
    ),
}

# Accepted reports make payment lines: the institution's finance users prepare them.
_REPORT_ACCEPTED_FINANCE = Rule(
    "institution",
    P.CONTRACTS_PAYMENT_PREPARE,
    N_("Verified savings to settle: %(name)s, %(period)s"),
    N_(
        "The M&V report of %(name)s for %(period)s was accepted: its payment lines are ready to"
        " prepare."
    ),
)


def _users(session: Session, org_ids: set[int], permission: Permission) -> list[User]:
    if not org_ids:
        return []
    rows = session.execute(
        select(User, Organization.kind)
        .join(Organization, Organization.id == User.organization_id)
        .where(User.organization_id.in_(sorted(org_ids)), User.is_active)
        .order_by(User.id)
    ).all()
    return [u for u, kind in rows if permission in GRANTS.get((kind, u.role), frozenset())]


def _orgs(event: WorkflowEvent, to: str) -> set[int]:
    p = event.parties
    actor_org = event.actor.organization_id
    contracting = p.contracting
    if to == "institution":
        return {p.institution_id} - {None}
    if to == "esco":
        return {p.esco_id} - {None}
    if to == "auditor":
        return {p.auditor_id} - {None}
    if to == "both":
        return contracting
    if to == "waiting":
        obj = event.obj
        if obj is None:
            return contracting - {actor_org}
        prefix = "signed" if event.machine == "project" else "agreed"
        waiting = set()
        if getattr(obj, f"institution_{prefix}_by_user_id", None) is None:
            waiting.add(p.institution_id)
        if getattr(obj, f"esco_{prefix}_by_user_id", None) is None:
            waiting.add(p.esco_id)
        if getattr(obj, f"incoming_esco_{prefix}_by_user_id", None) is None:
            waiting.add(p.incoming_esco_id)
        return waiting - {None}
    return contracting - {actor_org}  # "other"


def _param(name: str, value: object) -> str:
    """A message parameter as text; an amount of money in yuan as the pages show it."""
    if name == "amount" and isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


def _send(session: Session, event: WorkflowEvent, rule: Rule, suffix: str = "") -> None:
    users = [
        u
        for u in _users(session, _orgs(event, rule.to), rule.permission)
        if u.id != event.actor.user_id
    ]
    if not users:
        return
    actor_org = session.get(Organization, event.actor.organization_id)
    actor_user = session.get(User, event.actor.user_id)
    params = {
        # People are named as the pages name them, by their display name.
        "actor": (actor_user.display_name if actor_user is not None else "") or event.actor.label,
        "actor_org": actor_org.name_zh if actor_org is not None else "",
        "comment": "",
        **{k: _param(k, v) for k, v in event.params.items()},
    }
    notify(
        session,
        users,
        kind=event.kind,
        dedupe_key=event.dedupe_key + suffix,
        subject=rule.subject,
        body=rule.body,
        link=event.link,
        params=params,
    )


@listen
def notify_turn(session: Session, event: WorkflowEvent) -> None:
    """Tell the party whose turn it is (see :data:`RULES`)."""
    rule = RULES.get(event.kind)
    if rule is not None:
        _send(session, event, rule)
    if event.kind == "report_accepted":
        _send(session, event, _REPORT_ACCEPTED_FINANCE, ":finance")
