"""The one policy table: roles, permissions, and which role holds which permission.

Every API route declares exactly one of these permissions; nothing else in the code base
decides who may do what. COMEX sees aggregates only (no ``clients:*``, no ``scores:*``);
admins manage users but read no client data and no audit events.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    advisor = "advisor"
    comex = "comex"
    compliance = "compliance"
    admin = "admin"


# Four-eyes (issue 14): granting one of these roles, enabling such an account or resetting
# its password takes a second admin's approval; they reach personal data or grant access.
ROLES_NEEDING_APPROVAL: frozenset[Role] = frozenset({Role.advisor, Role.compliance, Role.admin})


class Permission(StrEnum):
    clients_read = "clients:read"
    scores_compute = "scores:compute"
    scores_simulate = "scores:simulate"
    decisions_record = "decisions:record"
    reports_generate = "reports:generate"
    portfolio_read = "portfolio:read"
    monitoring_read = "monitoring:read"  # drift and backtesting aggregates
    model_read = "model:read"
    model_monitor = "model:monitor"  # champion/challenger aggregates (no client data)
    audit_read = "audit:read"
    audit_verify = "audit:verify"
    audit_export = "audit:export"
    privacy_manage = "privacy:manage"
    privacy_read = "privacy:read"
    users_manage = "users:manage"
    self_manage = "self:manage"  # own profile, own password, logout


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.advisor: frozenset(
        {
            Permission.clients_read,
            Permission.scores_compute,
            Permission.scores_simulate,
            Permission.decisions_record,
            Permission.reports_generate,
            Permission.model_read,
            Permission.privacy_read,
            Permission.self_manage,
        }
    ),
    Role.comex: frozenset(
        {
            Permission.portfolio_read,
            Permission.monitoring_read,
            Permission.model_read,
            Permission.model_monitor,
            Permission.privacy_read,
            Permission.self_manage,
        }
    ),
    Role.compliance: frozenset(
        {
            Permission.monitoring_read,
            Permission.audit_read,
            Permission.audit_verify,
            Permission.audit_export,
            Permission.privacy_manage,
            Permission.privacy_read,
            Permission.model_read,
            Permission.model_monitor,
            Permission.self_manage,
        }
    ),
    Role.admin: frozenset(
        {
            Permission.users_manage,
            Permission.model_read,
            Permission.privacy_read,
            Permission.self_manage,
        }
    ),
}


def permissions_for(role: Role | str) -> frozenset[Permission]:
    try:
        return ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return frozenset()


def has_permission(role: Role | str, permission: Permission | str) -> bool:
    try:
        wanted = Permission(permission)
    except ValueError:
        return False
    return wanted in permissions_for(role)
