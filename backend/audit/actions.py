"""Every action the audit trail records, as one vocabulary.

A route names its action once, in its guard (``backend.auth.deps.guard``); services and CLI
commands name theirs here too, so no free string can drift from what the trail, the docs
(``docs/audit-format.md``) and the verifier expect. The values are the stored strings: they
never change, a new action is a new member.
"""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    # Authentication and access control
    auth_login = "auth.login"
    auth_refresh = "auth.refresh"
    auth_logout = "auth.logout"
    auth_token = "auth.token"  # noqa: S105 - an action name; a genuine but expired access token
    auth_password_change = "auth.password_change"  # noqa: S105 - an action name
    access_denied = "access.denied"
    rate_limited = "rate.limited"
    # One client (advisors)
    client_read = "client.read"
    client_compare = "client.compare"
    client_similar = "client.similar"
    client_reimport_erased = "client.reimport_erased"
    score_compute = "score.compute"
    score_simulate = "score.simulate"
    explanation_read = "explanation.read"
    report_generate = "report.generate"
    decision_record = "decision.record"
    decision_history = "decision.history"
    decision_contest = "decision.contest"
    decision_review = "decision.review"
    decision_reproduce = "decision.reproduce"
    # Model, portfolio, monitoring
    model_read = "model.read"
    model_challenger = "model.challenger"
    model_promote = "model.promote"
    model_rollback = "model.rollback"
    model_shadow = "model.shadow"
    model_shadow_clear = "model.shadow_clear"
    portfolio_read = "portfolio.read"
    monitoring_read = "monitoring.read"
    monitoring_job = "monitoring.job"
    # Audit trail and privacy (compliance)
    audit_read = "audit.read"
    audit_verify = "audit.verify"
    audit_export = "audit.export"
    audit_purge = "audit.purge"  # `octroi privacy purge`: the retention periods applied
    privacy_export = "privacy.export"
    privacy_erase = "privacy.erase"
    privacy_erase_request = "privacy.erase_request"  # four-eyes: asked, another officer confirms
    privacy_erase_refuse = "privacy.erase_refuse"
    privacy_erasure_requests = "privacy.erasure_requests"
    privacy_erasure_status = "privacy.erasure_status"
    privacy_overrides = "privacy.overrides"
    privacy_retention = "privacy.retention"
    privacy_register = "privacy.register"
    # Users (admins)
    user_list = "user.list"
    user_create = "user.create"
    user_update = "user.update"
    user_unlock = "user.unlock"
    user_reset_password = "user.reset_password"  # noqa: S105 - an action name
    user_access_request = "user.access_request"
    user_access_request_list = "user.access_request_list"
    user_access_approve = "user.access_approve"
    user_access_reject = "user.access_reject"
    user_access_decide = "user.access_decide"

    @property
    def reads_only(self) -> bool:
        """Whether a route recording this action changes nothing but the audit trail (and a
        rate counter): its request then reads without SQLite's write lock until its audited
        write (``backend.db.read_first_session``). Any other action keeps one write
        transaction for the whole request."""
        return self in _READ_ONLY


_READ_ONLY = frozenset({
    AuditAction.client_read, AuditAction.client_compare, AuditAction.client_similar,
    AuditAction.score_compute, AuditAction.score_simulate, AuditAction.explanation_read,
    AuditAction.report_generate, AuditAction.decision_history, AuditAction.decision_reproduce,
    AuditAction.model_read, AuditAction.model_challenger, AuditAction.portfolio_read,
    AuditAction.monitoring_read, AuditAction.audit_read, AuditAction.audit_verify,
    AuditAction.audit_export, AuditAction.privacy_export, AuditAction.privacy_erasure_status, AuditAction.privacy_overrides,
    AuditAction.privacy_retention, AuditAction.privacy_erasure_requests,
    AuditAction.privacy_register, AuditAction.user_list, AuditAction.user_access_request_list,
})
