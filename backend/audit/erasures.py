"""The erasures (RGPD Art. 17) the audit trail records, for the checks that must not rely on
the tombstones alone.

A tombstone (``client_erasures``) keeps an erased person out of later imports, and the database
owner can delete it. The ``privacy.erase`` event of the same transaction is chained and hashed:
it still says who was erased, and when. ``verify`` reports an erasure whose tombstone is gone
(or whose person is back in ``clients``), and the import refuses a person the trail says was
erased even without a tombstone (``backend.clients.service.import_clients``).

An erasure is undone on purpose only by ``octroi clients import --allow-erased``, which records
a ``client.reimport_erased`` event naming the pseudonym it brought back and, in
``details["erasures_undone"]``, every pseudonym whose erasure it undid (the person under each key
version: its tombstones, or the trail's erasure when the tombstone was gone); an event written
before that list existed names its resource only.

Limit: events older than the audit retention are deleted by the retention purge (a signed
anchor stands for them, not their content). Past that horizon only the tombstone proves an
erasure.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from backend.audit.actions import AuditAction
from backend.audit.models import AuditEvent, AuditPending

ERASE = AuditAction.privacy_erase.value
RESTORE = AuditAction.client_reimport_erased.value
# In a restore event's details: the pseudonyms whose erasure the restore undid.
ERASURES_UNDONE_KEY = "erasures_undone"

_EVENTS = AuditEvent.__table__
_PENDING = AuditPending.__table__
_KINDS = (ERASE, RESTORE)


def restored_names(resource: str | None, details: Any) -> set[str]:
    """The pseudonyms a ``client.reimport_erased`` event brought back."""
    names = {resource} if resource else set()
    if isinstance(details, dict) and isinstance(details.get(ERASURES_UNDONE_KEY), list):
        names.update(str(name) for name in details[ERASURES_UNDONE_KEY])
    return names


def standing_erasures(conn: Connection, *, pending: bool) -> dict[str, int | None]:
    """Pseudonym -> seq of its ``privacy.erase`` event (None while the event waits for the
    sequencer) for every successful erasure the trail records and no later restore undid.

    The events are replayed in chain order: the chained ones by seq, then (``pending``) those
    still in ``audit_pending`` by id, which the sequencer will chain after them. Pending rows are
    read first, so a row chained in between is seen twice and kept once, never missed. Core on
    ``conn``: no catch-up, no ORM (the import calls it inside its own transaction).
    """
    waiting = conn.execute(
        select(_PENDING.c.id, _PENDING.c.action, _PENDING.c.resource, _PENDING.c.outcome, _PENDING.c.details)
        .where(_PENDING.c.action.in_(_KINDS)).order_by(_PENDING.c.id)
    ).all() if pending else []
    standing: dict[str, int | None] = {}
    chained_from: set[int] = set()

    def replay(seq: int | None, action: str, resource: str | None, outcome: str, details: Any) -> None:
        if action == ERASE:
            if outcome == "success" and resource:
                standing[resource] = seq
        else:
            for name in restored_names(resource, details):
                standing.pop(name, None)

    for row in conn.execute(
        select(_EVENTS.c.seq, _EVENTS.c.action, _EVENTS.c.resource, _EVENTS.c.outcome, _EVENTS.c.details,
               _EVENTS.c.pending_id)
        .where(_EVENTS.c.action.in_(_KINDS)).order_by(_EVENTS.c.seq)
    ):
        if row.pending_id is not None:
            chained_from.add(int(row.pending_id))
        replay(int(row.seq), row.action, row.resource, row.outcome, row.details)
    for row in waiting:
        if int(row.id) not in chained_from:
            replay(None, row.action, row.resource, row.outcome, row.details)
    return standing
