"""Data-subject rights, human oversight and retention. No HTTP here: routes and the CLI call it.

Nothing in this module stores a probability or an explanation value: the export computes
them for its response only, and an advisor decision keeps the model's *recommendation*
(approve/refuse), the model version and the input hash.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import case, delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from backend.audit.models import AuditCheckpoint, AuditEvent
from backend.audit.service import (
    ADVISORY_LOCK_KEY,
    PURGE_ACTION,
    WITNESS_INFO_KEY,
    events_where,
    insert_checkpoint,
    record_event,
    verify_prefix,
    write_anchor,
)
from backend.auth.models import LoginThrottle, RefreshFamily, RefreshToken
from backend.clients.models import Client, ClientErasure, StoredClient
from backend.clients.service import bump_clients_revision, erase_client
from backend.decisions import service as decisions_service
from backend.decisions.models import DecisionContest
from backend.monitoring.outcomes import delete_outcomes
from backend.privacy.models import AdvisorDecision, ErasureRequest
from backend.privacy.schemas import (
    AdvisorOverrides,
    ClientExport,
    ExportAuditEvent,
    ExportAutomatedDecision,
    ExportContribution,
    ExportHumanDecision,
    ExportSubject,
    ExportUnknown,
    OverrideCounts,
    OverridesReport,
    RetentionPurge,
    RetentionStatus,
    StoredFeature,
)
from backend.registry.challenger import forget_subjects
from backend.scoring import service as scoring
from backend.users.models import User
from ml.features import DAYS_PER_YEAR, DISPLAY_NEGATED, display_value, value_unit
from ml.labels import feature_label, format_value, label, level_label
from ml.schema import COLUMN_BY_NAME, DAYS_EMPLOYED_SENTINEL
from security.audit_chain import CheckpointSigner
from security.pseudonym import Pseudonym

EXPORT_TOP_CONTRIBUTIONS = 10
CONTROLLER_NOTE = {
    "fr": (
        "Données détenues par Octroi sur ce client (RGPD art. 15 et 20). L'identifiant bancaire "
        "n'est pas conservé : seul son pseudonyme l'est. Le score et l'explication ont été "
        "calculés pour cet export et ne sont enregistrés nulle part ; la décision finale est "
        "prise par un conseiller (art. 22)."
    ),
    "en": (
        "Data Octroi holds on this client (GDPR Art. 15 and 20). The bank id is not kept: only "
        "its pseudonym is. The score and explanation were computed for this export and are "
        "stored nowhere; the final decision is taken by an advisor (Art. 22)."
    ),
}


# ----------------------------------------------------------------------------- export

# What each audit action means, for the person reading their export (fr, en). An action added
# since is shown as its code (``action_label``); tests/test_privacy_requests_more.py asks for
# words for every member of ``AuditAction``.
ACTION_WORDS: dict[str, tuple[str, str]] = {
    "auth.login": ("Connexion", "Sign-in"),
    "auth.refresh": ("Prolongation de session", "Session renewed"),
    "auth.logout": ("Déconnexion", "Sign-out"),
    "auth.token": ("Jeton d'accès expiré présenté", "Expired access token presented"),
    "auth.password_change": ("Changement de mot de passe", "Password changed"),
    "access.denied": ("Accès refusé", "Access refused"),
    "rate.limited": ("Demande refusée (trop de demandes)", "Request refused (too many requests)"),
    "client.read": ("Consultation du dossier", "File viewed"),
    "client.compare": ("Comparaison avec les autres dossiers", "Compared with other files"),
    "client.similar": ("Recherche de dossiers comparables", "Similar files looked up"),
    "client.reimport_erased": ("Nouvelle importation après un effacement", "Imported again after an erasure"),
    "score.compute": ("Calcul du score", "Score computed"),
    "score.simulate": ("Simulation d'un score", "Score simulated"),
    "explanation.read": ("Consultation de l'explication du score", "Score explanation viewed"),
    "report.generate": ("Rapport PDF produit", "PDF report produced"),
    "decision.record": ("Décision du conseiller enregistrée", "Advisor's decision recorded"),
    "decision.history": ("Consultation de l'historique des décisions", "Decision history viewed"),
    "decision.contest": ("Contestation de la décision", "Decision contested"),
    "decision.review": ("Réexamen de la contestation", "Contest reviewed"),
    "decision.reproduce": ("Décision recalculée pour contrôle (conformité)", "Decision recomputed for a check (compliance)"),
    "model.read": ("Consultation du modèle", "Model viewed"),
    "model.challenger": ("Comparaison avec le modèle candidat", "Challenger model compared"),
    "model.promote": ("Mise en service d'une version du modèle", "Model version promoted"),
    "model.rollback": ("Retour à une version antérieure du modèle", "Model version rolled back"),
    "model.shadow": ("Version du modèle mise à l'essai", "Model version put on trial"),
    "model.shadow_clear": ("Fin de l'essai d'une version du modèle", "Model trial ended"),
    "portfolio.read": ("Consultation du portefeuille", "Portfolio viewed"),
    "monitoring.read": ("Consultation du suivi du modèle", "Model monitoring viewed"),
    "monitoring.job": ("Calcul du suivi du modèle", "Model monitoring computed"),
    "audit.read": ("Consultation du journal d'audit", "Audit trail viewed"),
    "audit.verify": ("Vérification du journal d'audit", "Audit trail verified"),
    "audit.export": ("Export du journal d'audit", "Audit trail exported"),
    "audit.purge": ("Application des durées de conservation", "Retention periods applied"),
    "privacy.export": ("Export des données (RGPD art. 15 et 20)", "Data export (GDPR Art. 15 and 20)"),
    "privacy.erase": ("Effacement des données (RGPD art. 17)", "Data erasure (GDPR Art. 17)"),
    "privacy.erase_request": ("Effacement demandé (à confirmer par un second agent)", "Erasure requested (for a second officer to confirm)"),
    "privacy.erase_refuse": ("Demande d'effacement refusée ou retirée", "Erasure request refused or withdrawn"),
    "privacy.erasure_requests": ("Consultation des demandes d'effacement", "Erasure requests listed"),
    "privacy.erasure_status": ("Vérification d'un effacement", "Erasure checked"),
    "privacy.overrides": ("Rapport des dérogations", "Overrides report"),
    "privacy.retention": ("Consultation des durées de conservation", "Retention periods viewed"),
    "privacy.register": ("Consultation du registre des traitements", "Processing register viewed"),
    "user.list": ("Consultation des comptes", "Accounts listed"),
    "user.create": ("Création d'un compte", "Account created"),
    "user.update": ("Modification d'un compte", "Account changed"),
    "user.unlock": ("Déverrouillage d'un compte", "Account unlocked"),
    "user.reset_password": ("Réinitialisation d'un mot de passe", "Password reset"),
    "user.access_request": ("Demande d'accès", "Access requested"),
    "user.access_request_list": ("Consultation des demandes d'accès", "Access requests listed"),
    "user.access_approve": ("Demande d'accès approuvée", "Access request approved"),
    "user.access_reject": ("Demande d'accès rejetée", "Access request rejected"),
    "user.access_decide": ("Décision sur une demande d'accès", "Access request decided"),
}
_NOT_GIVEN = {"fr": "non renseigné", "en": "not given"}
_YES_NO = {"fr": ("oui", "non"), "en": ("yes", "no")}
_YES_NO_LEVELS = frozenset({"N", "Y", "No", "Yes"})


def action_label(action: str, lang: str) -> str:
    """An audit action in words in ``lang``; an action without words yet, as its code."""
    words = ACTION_WORDS.get(action)
    return (words[1] if lang == "en" else words[0]) if words else action


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def readable_stored(name: str, value: Any, lang: str) -> tuple[str, str]:
    """(label, value) of one stored column as a person reads it in ``lang``, as the advisor's
    page and the explanations show it: a level by its words, Y/N and 0/1 flags as yes/no, the
    age and the time employed in completed years (``DAYS_BIRTH``/``DAYS_EMPLOYED`` are negative
    day counts in the bank's file), the other day counts as the positive days since
    (``ml.features.DISPLAY_NEGATED``), amounts in euros, other numbers as the answers write them."""
    column = COLUMN_BY_NAME.get(name)
    if name == "DAYS_BIRTH":
        words = label("AGE_YEARS", lang)
        shown = None if _missing(value) else format_value(-float(value) / DAYS_PER_YEAR, lang, "years")
    elif name == "DAYS_EMPLOYED":
        words = label("YEARS_EMPLOYED", lang)
        if not _missing(value) and float(value) == DAYS_EMPLOYED_SENTINEL:
            shown = label("DAYS_EMPLOYED_ANOMALY", lang)
        else:
            shown = None if _missing(value) else format_value(-float(value) / DAYS_PER_YEAR, lang, "years")
    elif name in DISPLAY_NEGATED:
        words = feature_label(name, lang)
        shown = None if _missing(value) else format_value(display_value(name, float(value)), lang, value_unit(name))
    else:
        words = label(name, lang)
        if _missing(value):
            shown = None
        elif column is not None and column.levels and set(column.levels) <= _YES_NO_LEVELS:
            shown = _YES_NO[lang][0 if value in ("Y", "Yes") else 1]
        elif isinstance(value, str):
            shown = level_label(value, lang)
        elif column is not None and column.kind == "flag":
            shown = _YES_NO[lang][0 if value else 1]
        else:
            shown = format_value(float(value), lang, value_unit(name))
    return words, _NOT_GIVEN[lang] if shown is None else shown


def _stored_feature(name: str, value: Any, lang: str) -> StoredFeature:
    words, shown = readable_stored(name, value, lang)
    return StoredFeature(feature=name, label=words, value=shown, raw_value=None if _missing(value) else value)


def build_export(
    db: Session, client: StoredClient, candidates: list[str], bundle: Any | None, lang: str,
    unavailable_reason: str | None = None,
) -> ClientExport:
    """Everything Octroi holds on one client, and how the decision about them is made."""
    # As a person reads their file (the export is written to be handed to them), the raw value
    # beside it for portability.
    stored = [_stored_feature(name, value, lang) for name, value in sorted(client.features.items())]
    automated = _automated_decision(bundle, client.features, lang) if bundle is not None else None
    decisions = db.scalars(
        select(AdvisorDecision)
        .where(AdvisorDecision.pseudonym.in_(candidates))
        .order_by(AdvisorDecision.decided_at, AdvisorDecision.id)
    ).all()
    events = events_where(db, lambda table: [table.resource.in_(candidates)])
    lifecycle = decisions_service.export_parts(db, candidates, [d.id for d in decisions])
    return ClientExport(
        generated_at=datetime.now(UTC),
        lang=lang,  # type: ignore[arg-type]
        controller_note=CONTROLLER_NOTE[lang],
        subject=ExportSubject(
            pseudonym=client.pseudonym, key_version=client.key_version, imported_at=client.imported_at
        ),
        stored_data=stored,
        automated_decision=automated,
        automated_decision_unavailable=None if bundle is not None else unavailable_reason,
        human_decisions=[
            ExportHumanDecision(
                id=d.id, revises=d.revises_id, snapshot_id=d.snapshot_id,
                contests=lifecycle.contests.get(d.id, []),
                decision=d.decision,  # type: ignore[arg-type]
                recommendation=d.recommendation,  # type: ignore[arg-type]
                is_override=d.is_override,
                model_version=d.model_version,
                reason=d.reason,
                decided_at=d.decided_at,
            )
            for d in decisions
        ],
        decision_snapshots=lifecycle.snapshots,
        # Time, role and action only: the names of the bank's staff are not the client's data.
        audit_events=[
            ExportAuditEvent(ts=e.ts, actor_role=e.role, action=e.action, action_label=action_label(e.action, lang),
                             outcome=e.outcome)
            for e in events
        ],
    )


def _automated_decision(bundle: Any, features: dict[str, Any], lang: str) -> ExportAutomatedDecision:
    # Not through the score cache: an export must show what the model says now.
    score, explanation = scoring.score_and_explain(bundle, features, EXPORT_TOP_CONTRIBUTIONS, lang)
    return ExportAutomatedDecision(
        model_version=bundle.version,
        features_used=list(bundle.feature_names),
        threshold=float(bundle.threshold),
        cost_fn=float(bundle.cost_fn),
        cost_fp=float(bundle.cost_fp),
        probability=score["probability"],
        recommendation=score["decision"],
        display_score=score["display_score"],
        risk_band=score["risk_band"],
        explanation_text=explanation["text"],
        # Reasons, not raw contributions: never a protected attribute (fair-lending policy),
        # the external scores as one reason.
        contributions=[
            ExportContribution(
                feature=r["key"], label=r["label"], value=r.get("value"), unit=r.get("unit"), shap=r["shap"],
                effect=r["effect"],
            )
            for r in explanation["reasons"]
        ],
        base_probability=explanation["base_probability"],
        reference_probability=explanation["reference_probability"],
        # Everything the listed reasons leave out: p - reference - their effects, so the figures add up.
        other_effect=score["probability"] - explanation["reference_probability"]
        - sum(r["effect"] for r in explanation["reasons"]),
        other_count=len(bundle.feature_names) - sum(len(r["features"]) for r in explanation["reasons"]),
        unlearned_unknowns=[
            ExportUnknown(feature=name, label=label)
            for name, label in scoring.unlearned_labelled(bundle, features, lang)
        ],
        beyond_training=[ExportUnknown(feature=item["feature"], label=item["label"]) for item in score["beyond_training"]],
    )


# ----------------------------------------------------------------------------- erasure


@dataclass(frozen=True)
class Erasure:
    pseudonym: str
    erased_at: datetime
    features_deleted: bool
    decisions_anonymised: int


def _forget(db: Session, pseudonyms: list[str], now: datetime) -> tuple[int, int, int]:
    """What an erasure and the end of the retention period share (caller commits): the
    features and realised outcomes of ``pseudonyms`` deleted, their decisions kept as anonymous
    oversight statistics (pseudonym and free-text reason, which may describe the person,
    cleared), and the challenger's digest of them for the days still open dropped. Returns
    (clients deleted, outcomes deleted, decisions anonymised)."""
    clients = db.execute(delete(Client).where(Client.pseudonym.in_(pseudonyms))).rowcount
    outcomes = delete_outcomes(db, pseudonyms)
    forget_subjects(db, pseudonyms)
    decisions = db.execute(
        update(AdvisorDecision).where(AdvisorDecision.pseudonym.in_(pseudonyms))
        .values(pseudonym=None, reason=None, anonymised_at=now)
    ).rowcount
    return int(clients or 0), outcomes, int(decisions or 0)


def erase(
    db: Session, client: StoredClient, candidates: list[str], tombstones: Sequence[Pseudonym] = ()
) -> Erasure:
    """Delete the client's features, keep tombstones, detach their decisions (caller commits).

    ``tombstones``: the person's pseudonym under every configured key version (the route
    passes ``ring.candidates``), so the erasure holds through rotation and the removal of
    any one version. Decisions stay as anonymous oversight statistics: their pseudonym and
    free-text reason (which may describe the person) are cleared. The caller drops the
    cached results.
    """
    now = datetime.now(UTC)
    deleted = erase_client(db, client.pseudonym, client.key_version, tombstones)
    # After a key rotation an older row may exist under another version: it goes too.
    _, _, anonymised = _forget(db, [client.pseudonym, *candidates], now)
    db.flush()
    return Erasure(client.pseudonym, now, deleted, int(anonymised or 0))


def erasure_status(db: Session, candidates: Sequence[Pseudonym]) -> tuple[str, datetime | None, str | None]:
    """(status, erased_at, pseudonym) of one person from their pseudonym under every key version.

    "current" when a client row exists under any version, else "erased" with the earliest
    tombstone's time (the tombstones of one erasure share it), else "unknown". The pseudonym is
    the one found (for the audit event), None when unknown.
    """
    values = [p.value for p in candidates]
    held = db.scalars(select(Client.pseudonym).where(Client.pseudonym.in_(values))).first()
    if held is not None:
        return "current", None, held
    tombstone = db.scalars(
        select(ClientErasure).where(ClientErasure.pseudonym.in_(values)).order_by(ClientErasure.erased_at).limit(1)
    ).first()
    if tombstone is None:
        return "unknown", None, None
    erased_at = tombstone.erased_at if tombstone.erased_at.tzinfo else tombstone.erased_at.replace(tzinfo=UTC)
    return "erased", erased_at, tombstone.pseudonym


# ----------------------------------------------------------------------------- human oversight


def overrides_report(db: Session, start: datetime, end: datetime) -> OverridesReport:
    """Decisions and overrides per advisor and overall, ``start`` inclusive, ``end`` exclusive."""
    approved_against = func.sum(case(
        (AdvisorDecision.is_override & (AdvisorDecision.decision == "approve"), 1), else_=0))
    refused_against = func.sum(case(
        (AdvisorDecision.is_override & (AdvisorDecision.decision == "refuse"), 1), else_=0))
    rows = db.execute(
        select(
            AdvisorDecision.advisor,
            func.count(),
            func.sum(case((AdvisorDecision.is_override, 1), else_=0)),
            approved_against,
            refused_against,
        )
        .where(AdvisorDecision.decided_at >= start, AdvisorDecision.decided_at < end)
        .group_by(AdvisorDecision.advisor)
        .order_by(AdvisorDecision.advisor)
    ).all()
    advisors = [
        AdvisorOverrides(advisor=name, **_counts(int(n), int(o or 0), int(a or 0), int(r or 0)))
        for name, n, o, a, r in rows
    ]
    overall = _counts(
        sum(a.decisions for a in advisors),
        sum(a.overrides for a in advisors),
        sum(a.approved_against_refusal for a in advisors),
        sum(a.refused_against_approval for a in advisors),
    )
    return OverridesReport(
        period_from=start, period_to=end, overall=OverrideCounts(**overall), advisors=advisors,
        contests=decisions_service.contest_report(db, start, end),
        reasons=decisions_service.override_reasons(db, start, end),
    )


def _counts(decisions: int, overrides: int, approved: int, refused: int) -> dict[str, Any]:
    return {
        "decisions": decisions,
        "overrides": overrides,
        "override_rate": round(overrides / decisions, 4) if decisions else None,
        "approved_against_refusal": approved,
        "refused_against_approval": refused,
    }


# ----------------------------------------------------------------------------- retention


PURGE_ACTOR = "octroi privacy purge"


@dataclass(frozen=True)
class ClientRetention:
    """What the end of the applicants' retention period removed (``expire_clients``)."""

    cutoff: datetime
    clients_deleted: int
    outcomes_deleted: int
    decisions_anonymised: int
    snapshots_deleted: int
    contests_anonymised: int


class PurgeRefused(RuntimeError):
    """The prefix the purge would delete does not verify: nothing was deleted nor signed.

    ``seq`` is the first bad sequence number, ``reason`` what is wrong there."""

    def __init__(self, seq: int, reason: str) -> None:
        reason = reason.removeprefix(f"seq {seq}: ")
        super().__init__(f"the audit chain does not verify at seq {seq}: {reason}")
        self.seq = seq
        self.reason = reason


@dataclass(frozen=True)
class PurgeReport:
    cutoff: datetime
    through_seq: int | None  # last purged seq; None when no event was old enough
    events_deleted: int
    anchor_checkpoint_written: bool
    sessions_deleted: int
    locks_cleared: int
    counters_reset: int
    first_seq: int  # the oldest event left
    clients: ClientRetention | None = None  # None when the run left the applicants' data alone


_RETENTION_BATCH = 500  # pseudonyms per statement (an IN list, on both engines)
RETENTION_NOTICE_DAYS = 30  # how far ahead compliance is told which files will go


def _active_since(cutoff: datetime) -> Any:
    """Pseudonyms with a decision, revision, contest or review at or after ``cutoff``."""
    return select(AdvisorDecision.pseudonym).where(
        AdvisorDecision.pseudonym.is_not(None), AdvisorDecision.decided_at >= cutoff,
    ).union(select(DecisionContest.pseudonym).where(
        DecisionContest.pseudonym.is_not(None),
        or_(DecisionContest.contested_at >= cutoff, DecisionContest.reviewed_at >= cutoff),
    ))


def _expired_clients(cutoff: datetime) -> Any:
    """The held applicants whose file saw nothing since ``cutoff``."""
    return select(Client.pseudonym).where(Client.imported_at < cutoff, Client.pseudonym.not_in(_active_since(cutoff)))


def retention_status(db: Session, client_days: int, audit_days: int, now: datetime) -> RetentionStatus:
    """Counts only: the files the purge would delete now and within the notice period, and the
    last purge the trail holds."""
    def count(cutoff: datetime) -> int:
        return int(db.scalar(select(func.count()).select_from(_expired_clients(cutoff).subquery())) or 0)

    due = count(now - timedelta(days=client_days))
    soon = count(now - timedelta(days=client_days - RETENTION_NOTICE_DAYS)) - due
    last = db.scalars(select(AuditEvent).where(AuditEvent.action == PURGE_ACTION)
                      .order_by(AuditEvent.seq.desc()).limit(1)).first()
    purged = None
    if last is not None:
        details = last.details or {}
        at = last.ts if last.ts.tzinfo else last.ts.replace(tzinfo=UTC)
        purged = RetentionPurge(at=at, actor=last.actor or "", events_deleted=int(details.get("events_deleted") or 0),
                                clients_deleted=(details.get("clients") or {}).get("deleted"))
    return RetentionStatus(
        client_retention_days=client_days, audit_retention_days=audit_days, notice_days=RETENTION_NOTICE_DAYS,
        clients_held=int(db.scalar(select(func.count()).select_from(Client)) or 0),
        clients_due=due, clients_due_soon=soon, last_purge=purged,
    )


def expire_clients(db: Session, retention_days: int, now: datetime) -> ClientRetention:
    """The end of the applicants' retention period (RGPD Art. 5(1)(e)); the caller commits.

    A person's data go once nothing happened in their file for ``retention_days``: stored (or
    changed by an import) before the cut-off, and no decision, revision, contest or review
    since. What goes is what an erasure removes: the features, realised outcomes and decision
    snapshots are deleted, the decisions and contests kept as anonymous statistics (pseudonym,
    reason and statement cleared). Unlike an erasure no tombstone is kept: the person may
    apply again and be imported anew. Decisions older than the cut-off whose person is no
    longer held (a pseudonym of an earlier key version) are anonymised the same way.
    """
    cutoff = now - timedelta(days=retention_days)
    stale = list(db.scalars(_expired_clients(cutoff)))
    orphans = list(db.scalars(
        select(AdvisorDecision.pseudonym).distinct().where(
            AdvisorDecision.pseudonym.is_not(None), AdvisorDecision.decided_at < cutoff,
            AdvisorDecision.pseudonym.not_in(select(Client.pseudonym)),
            AdvisorDecision.pseudonym.not_in(_active_since(cutoff)),
        )
    ))
    clients = outcomes = decisions = snapshots = contests = 0
    people = [*stale, *orphans]
    for start in range(0, len(people), _RETENTION_BATCH):
        batch = people[start : start + _RETENTION_BATCH]
        shots, anonymous = decisions_service.erase(db, batch, now)
        gone, lost, detached = _forget(db, batch, now)
        snapshots, contests = snapshots + shots, contests + anonymous
        clients, outcomes, decisions = clients + gone, outcomes + lost, decisions + detached
    if clients:
        bump_clients_revision(db)  # the aggregates and caches keyed on the population are stale
    db.flush()
    return ClientRetention(cutoff, clients, outcomes, decisions, snapshots, contests)


def purge(
    db: Session, signer: CheckpointSigner, retention_days: int, *, now: datetime | None = None,
    actor: str = PURGE_ACTOR, role: str | None = None, client_retention_days: int | None = None,
    retired_keys: Iterable[Ed25519PublicKey] = (),
) -> PurgeReport:
    """Apply the retention period in ``db``'s transaction (the caller commits, or rolls back).

    1. Audit events: the longest prefix of the chain older than the cut-off is deleted
       through the triggers' one documented opening (schema owner only), after a signed
       purge anchor (range, newest purged event time, retention in force, time; also sent to
       the witness) and a checkpoint mark the last purged event, so the remaining chain
       still verifies from there and a forged purge does not. Before anything is signed, the
       prefix is verified (``verify_prefix``: every hash recomputed from the stored content,
       the link to the first kept event, the checkpoints in range, in the database and in the
       session's witness; ``retired_keys`` for those signed before a key rotation): a rewritten
       event, such as a backdated ``ts``, raises ``PurgeRefused`` and the caller rolls back,
       so nothing is deleted or signed.
    2. Sessions: refresh-token families that can no longer be used (revoked, or every token
       expired) are deleted with their tokens.
    3. Lockouts: locks that ended are cleared; failure counters untouched for longer than the
       retention period are reset. Erasure requests decided, or made, before the cut-off go
       (a pending one lapsed after 30 days).
    4. Applicants (``client_retention_days``, unless None): ``expire_clients``.
    5. One ``audit.purge`` event records all this (and names the anchor for ``verify``).
    """
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=retention_days)
    _lock_chain_head(db)
    through = _purge_through(db, cutoff)
    deleted = 0
    anchored = False
    if through is not None:
        checked = verify_prefix(db, signer, through, retired_keys, db.info.get(WITNESS_INFO_KEY))
        if not checked.valid:
            raise PurgeRefused(int(checked.first_invalid_seq or 1), checked.reason or "invalid")
        anchored = _ensure_anchor(db, signer, through)
        newest = db.scalar(select(func.max(AuditEvent.ts)).where(AuditEvent.seq <= through))
        through_hash = db.scalar(select(AuditEvent.hash).where(AuditEvent.seq == through))
        write_anchor(
            db, signer, through_seq=through, through_hash=through_hash, newest_purged_ts=newest,
            retention_days=retention_days, purged_at=now,
        )
        with _audit_purge_door(db):
            deleted = int(db.execute(delete(AuditEvent).where(AuditEvent.seq <= through)).rowcount or 0)

    live = select(RefreshToken.family_id).where(RefreshToken.expires_at >= now)
    sessions = int(db.execute(
        delete(RefreshFamily).where(or_(RefreshFamily.revoked_at.is_not(None), RefreshFamily.id.not_in(live)))
    ).rowcount or 0)
    locks = int(db.execute(
        update(User).where(User.locked_until.is_not(None), User.locked_until < now).values(locked_until=None)
    ).rowcount or 0)
    counters = int(db.execute(
        update(User).where(User.failed_attempts > 0, User.updated_at < cutoff).values(failed_attempts=0)
    ).rowcount or 0)
    # Counters of names that are not accounts: gone once no lock holds and they went quiet.
    throttles = int(db.execute(
        delete(LoginThrottle).where(
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
            LoginThrottle.updated_at < cutoff,
        )
    ).rowcount or 0)
    # Erasure requests (four-eyes) live as long as the audit events that record them: decided,
    # or lapsed unconfirmed, before the cut-off.
    requests = int(db.execute(
        delete(ErasureRequest).where(or_(ErasureRequest.decided_at < cutoff, ErasureRequest.requested_at < cutoff))
    ).rowcount or 0)
    details: dict[str, Any] = {
        "retention_days": retention_days,
        "cutoff": cutoff.isoformat(),
        "erasure_requests_deleted": requests,
        "through_seq": through,
        "events_deleted": deleted,
        "sessions_deleted": sessions,
        "locks_cleared": locks,
        "counters_reset": counters,
        "login_throttles_deleted": throttles,
    }
    clients = None
    if client_retention_days is not None:
        clients = expire_clients(db, client_retention_days, now)
        details["clients"] = {"retention_days": client_retention_days, "cutoff": clients.cutoff.isoformat(),
                              "deleted": clients.clients_deleted, "outcomes_deleted": clients.outcomes_deleted,
                              "decisions_anonymised": clients.decisions_anonymised,
                              "snapshots_deleted": clients.snapshots_deleted,
                              "contests_anonymised": clients.contests_anonymised}
    record_event(db, None, None, action=PURGE_ACTION, actor=actor, role=role, details=details)
    first_seq = int(db.scalar(select(func.min(AuditEvent.seq))) or 1)
    return PurgeReport(cutoff, through, deleted, anchored, sessions, locks, counters, first_seq, clients)


def _lock_chain_head(db: Session) -> None:
    # The same lock every audit writer takes (backend.audit.service): no event is appended
    # while the prefix is being cut. SQLite: BEGIN IMMEDIATE already holds the write lock.
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})


def _purge_through(db: Session, cutoff: datetime) -> int | None:
    """The last seq of the longest prefix whose events are all older than ``cutoff``.

    A prefix, not "every old event": timestamps are taken just before the head lock, so two
    concurrent writers may commit slightly out of time order and the chain must stay gapless.
    """
    first = db.scalar(select(func.min(AuditEvent.seq)))
    if first is None:
        return None
    first_recent = db.scalar(select(func.min(AuditEvent.seq)).where(AuditEvent.ts >= cutoff))
    through = db.scalar(select(func.max(AuditEvent.seq))) if first_recent is None else first_recent - 1
    return through if through is not None and through >= first else None


def _ensure_anchor(db: Session, signer: CheckpointSigner, through: int) -> bool:
    """A signed checkpoint at exactly ``through``; True when one had to be written."""
    head_hash = db.scalar(select(AuditEvent.hash).where(AuditEvent.seq == through))
    existing = db.scalar(
        select(func.count()).select_from(AuditCheckpoint).where(
            AuditCheckpoint.seq == through, AuditCheckpoint.head_hash == head_hash,
            AuditCheckpoint.key_id == signer.key_id,
        )
    )
    if existing:
        return False
    insert_checkpoint(db, signer, through, head_hash)
    return True


class _audit_purge_door:  # noqa: N801 - used as a context manager, reads like a statement
    """Open the append-only triggers for DELETE in this transaction only (migration 0002)."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.postgresql = db.get_bind().dialect.name == "postgresql"

    def __enter__(self) -> None:
        if self.postgresql:
            self.db.execute(text("SET LOCAL octroi.audit_purge = 'on'"))
        else:
            self.db.execute(text(
                "INSERT INTO audit_purge_guard (id, reason) VALUES (1, 'retention purge')"))

    def __exit__(self, *exc: object) -> None:
        # Closed again at once: the purge event appended next must not run with the door open.
        if self.postgresql:
            self.db.execute(text("SET LOCAL octroi.audit_purge = 'off'"))
        else:
            self.db.execute(text("DELETE FROM audit_purge_guard"))


# ----------------------------------------------------------------------------- key versions


def key_usage(db: Session) -> dict[str, dict[str, int]]:
    """Rows per pseudonym key version (clients, erasure tombstones)."""
    usage: dict[str, dict[str, int]] = {}
    for name, model in (("clients", Client), ("erasures", ClientErasure)):
        for version, count in db.execute(
            select(model.key_version, func.count()).group_by(model.key_version)
        ).all():
            usage.setdefault(version, {"clients": 0, "erasures": 0})[name] = int(count)
    return usage


def erasures_only_under(db: Session, current_version: str) -> dict[str, int]:
    """Per key version: erased people with a tombstone under it but none under the current
    version. Removing such a version would let a later import bring them back."""
    covered = select(ClientErasure.erasure_id).where(ClientErasure.key_version == current_version)
    rows = db.execute(
        select(ClientErasure.key_version, func.count(func.distinct(ClientErasure.erasure_id)))
        .where(ClientErasure.erasure_id.not_in(covered))
        .group_by(ClientErasure.key_version)
    ).all()
    return {version: int(count) for version, count in rows}
