"""Who is told that a payment line was paid: the payee organisation (the ESCO for what the
institution pays it; the institution for what the ESCO pays it), by the line's period, amount
and the bank's reference. A listener of the workflow's events (``payment_line_paid``), as
:mod:`emc.workflow.notify` is for the parties' turns."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from emc.auth.models import Organization
from emc.auth.permissions import Permission
from emc.contracts import finance
from emc.contracts.models import EmcProject, PaymentLine
from emc.i18n import N_
from emc.notifications.service import notify
from emc.workflow.events import WorkflowEvent, listen
from emc.workflow.notify import _users

KIND = "payment_line_paid"
SUBJECT = N_("Payment recorded as paid: %(name)s")
BODY = N_(
    "%(payer)s recorded the payment of %(amount)s yuan to %(payee)s for %(name)s, period "
    "%(start)s to %(end)s, paid on %(paid_on)s, payment reference %(reference)s."
)


@listen
def tell_payee(session: Session, event: WorkflowEvent) -> None:
    """Tell the payee's users who agree contracts (an ESCO's admins, an institution's admins
    and energy managers) that a line was paid, unless the payer is the payee."""
    if event.kind != KIND or not isinstance(event.obj, PaymentLine):
        return
    line: PaymentLine = event.obj
    project = session.get(EmcProject, line.project_id)
    orgs = {
        finance.Party.INSTITUTION: project.organization_id,
        finance.Party.ESCO: project.esco_organization_id,
    }
    payee = orgs.get(line.payee)
    if payee is None:
        return
    users = [
        u
        for u in _users(session, {payee}, Permission.CONTRACTS_CONTRACT_AGREE)
        if u.id != event.actor.user_id
    ]
    if not users:
        return
    names = {
        i: org.name_zh
        for i in orgs.values()
        if i is not None and (org := session.get(Organization, i)) is not None
    }
    notify(
        session,
        users,
        kind=KIND,
        dedupe_key=f"{event.dedupe_key}:payee",
        subject=SUBJECT,
        body=BODY,
        link=event.link,
        params={
            "name": project.name,
            "payer": names.get(orgs.get(line.payer), ""),
            "payee": names.get(payee, ""),
            "amount": f"{line.amount:,.2f}",
            # Its first and last day (periods are half-open), as the pages show a period.
            "start": line.period_start.isoformat(),
            "end": (line.period_end - dt.timedelta(days=1)).isoformat(),
            "paid_on": line.paid_on.isoformat() if line.paid_on else "",
            "reference": line.payment_reference or "",
        },
    )
