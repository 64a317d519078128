"""The record of processing activities (GDPR Art. 30), generated from the code's own metadata.

Nothing here is a hand-kept copy of a fact the code already knows: recipients come from
``security.rbac.ROLE_PERMISSIONS``, data categories from the ORM tables (``Base.metadata``),
features from the loaded model bundle, retention periods from the settings. Each table must
have an entry in ``TABLE_CATEGORIES``: a test fails when a new table is added without one,
so the register cannot silently fall behind the schema.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from backend.auth.config import AuthSettings
from backend.db import Base
from backend.privacy.schemas import (
    ProcessingRegister,
    RegisterFeature,
    RegisterRecipient,
    RegisterRetention,
    RegisterTable,
)
from backend.settings import Settings
from security.rbac import ROLE_PERMISSIONS, Permission, Role

# table -> (category, holds personal data)
TABLE_CATEGORIES: dict[str, tuple[str, bool]] = {
    "clients": ("Applicant financial and socio-demographic data (pseudonymized, Home Credit schema)", True),
    "client_erasures": ("Erasure tombstones: pseudonym of erased clients, erasure time", True),
    "advisor_decisions": ("Human-oversight decisions: advisor decision, model recommendation, reason", True),
    "users": ("Staff accounts: username, name, role, password hash (argon2id), lockout state", True),
    "access_requests": ("Four-eyes access requests: staff usernames, role, requester, decider, times", True),
    "refresh_families": ("Staff login sessions", True),
    "refresh_tokens": ("Staff session tokens (SHA-256 digests only)", True),
    "audit_events": ("Audit trail: time, staff actor and role, action, pseudonym, IP address", True),
    "audit_checkpoints": ("Signed checkpoints of the audit chain (no personal data)", False),
    "audit_anchors": ("Signed anchors of retention purges (no personal data)", False),
    "service_meta": ("Installation facts (no personal data)", False),
    "login_throttles": ("Failed-login counters for names that are not accounts (SHA-256 of the name)", True),
    "rate_limit_counters": ("Request counters per staff user and short time window (rate limits)", True),
    "outcomes": ("Realised loan outcomes (default or not, date known) by client pseudonym; erased with the client", True),
    "monitoring_aggregates": ("Batch-job aggregates (portfolio, drift, backtesting) over groups of 10 or more; "
                              "no client, no individual score", False),
    # Model lifecycle (backend/decisions, backend/registry).
    "decision_snapshots": ("Decision snapshots: the application as the model saw it when an advisor "
                           "decided (pseudonymized, immutable, erased under Art. 17)", True),
    "decision_contests": ("Contests of decisions: the applicant's point of view, the review by another "
                          "advisor (outcome, reason, dates)", True),
    "model_deployments": ("Model promotions, rollbacks and challengers: version, operator, time", False),
    "challenger_daily": ("Challenger vs champion daily aggregates (no client, no score)", False),
}

PURPOSES = [
    {"purpose": "Credit-risk assessment of loan applicants",
     "detail": "Probability of default, decision at a cost-optimal threshold, explanation"},
    {"purpose": "Human oversight of automated decisions",
     "detail": "Advisors record the final decision; overrides are monitored (GDPR Art. 22, AI Act Art. 14)"},
    {"purpose": "Portfolio steering", "detail": "Aggregates only, for the executive committee"},
    {"purpose": "Model monitoring (EBA/GL/2020/06, AI Act Art. 72)",
     "detail": "Drift and backtesting of the model against realised outcomes; aggregates only"},
    {"purpose": "Security and accountability",
     "detail": "Authentication, access control and a tamper-evident audit trail"},
    {"purpose": "Data-subject rights", "detail": "Access, portability and erasure requests"},
]

_ACCESS_BY_PERMISSION = {
    Permission.clients_read: "individual client data",
    Permission.scores_compute: "individual scores and explanations (never stored)",
    Permission.privacy_manage: "individual data for data-subject requests",
    Permission.audit_read: "audit events (pseudonyms, staff actions)",
    Permission.portfolio_read: "aggregates only",
    Permission.monitoring_read: "monitoring aggregates only (drift, backtesting)",
    Permission.users_manage: "staff accounts only",
}


def _recipients() -> list[RegisterRecipient]:
    recipients = []
    for role in Role:
        permissions = sorted(p.value for p in ROLE_PERMISSIONS[role])
        access = [text for p, text in _ACCESS_BY_PERMISSION.items() if p in ROLE_PERMISSIONS[role]]
        recipients.append(RegisterRecipient(
            role=role.value, permissions=permissions,
            personal_data_access="; ".join(access) or "no personal data of clients",
        ))
    return recipients


def _tables() -> list[RegisterTable]:
    tables = []
    for table in Base.metadata.sorted_tables:
        category, personal = TABLE_CATEGORIES.get(table.name, ("UNDECLARED: add it to TABLE_CATEGORIES", True))
        tables.append(RegisterTable(
            table=table.name, category=category, personal_data=personal,
            columns=[column.name for column in table.columns],
        ))
    return tables


def _retention(settings: Settings, auth: AuthSettings) -> list[RegisterRetention]:
    return [
        RegisterRetention(data="Audit events", period=f"{settings.audit_retention_days} days",
                          setting="OCTROI_AUDIT_RETENTION_DAYS", value=settings.audit_retention_days),
        RegisterRetention(data="Cached scores and explanations (memory or Redis, never on disk)",
                          period=f"{settings.score_cache_ttl_seconds} seconds",
                          setting="OCTROI_SCORE_CACHE_TTL_SECONDS", value=settings.score_cache_ttl_seconds),
        RegisterRetention(data="Access tokens", period=f"{auth.access_token_minutes} minutes",
                          setting="OCTROI_ACCESS_TOKEN_MINUTES", value=auth.access_token_minutes),
        RegisterRetention(data="Staff sessions (refresh tokens)",
                          period=f"{auth.refresh_token_days} days, deleted by the purge once ended",
                          setting="OCTROI_REFRESH_TOKEN_DAYS", value=auth.refresh_token_days),
        RegisterRetention(data="Account lockouts", period=f"{auth.lockout_minutes} minutes; counters reset "
                          f"after {settings.audit_retention_days} days without activity",
                          setting="OCTROI_LOCKOUT_MINUTES", value=auth.lockout_minutes),
        RegisterRetention(data="Client features", period="until erasure or replacement by a new import",
                          setting=None, value=None),
        RegisterRetention(data="Realised outcomes", period="until erasure of the client or replacement by a new import",
                          setting=None, value=None),
        RegisterRetention(data="Erasure tombstones", period="as long as the pseudonym key version is in use",
                          setting=None, value=None),
        RegisterRetention(data="Advisor decisions",
                          period="linked to the client until erasure, then anonymised statistics",
                          setting=None, value=None),
        RegisterRetention(data="Decision snapshots and contests",
                          period="with the client's decisions; snapshots deleted and contests anonymised "
                                 "on erasure", setting=None, value=None),
        RegisterRetention(data="Score, probability and explanation values",
                          period="never stored (response and TTL cache only)", setting=None, value=None),
    ]


def build_register(
    settings: Settings, auth: AuthSettings, bundle: Any | None, pseudonym_versions: tuple[str, ...],
    signer_key_id: str,
) -> ProcessingRegister:
    features = []
    if bundle is not None:
        labels = bundle.feature_labels("en")
        features = [RegisterFeature(name=name, label=labels.get(name, name)) for name in bundle.feature_names]
    processors = [{"name": "Database", "role": f"{_engine_name(settings)}, operated by the bank"}]
    if settings.redis_url:
        processors.append({"name": "Redis", "role": "score cache and rate limits, no persistence"})
    return ProcessingRegister(
        controller="The bank operating Octroi (credit department); DPO contact in SECURITY.md",
        generated_at=datetime.now(UTC),
        system={"name": "Octroi", "environment": settings.env.value,
                "ai_act": "High-risk AI system, Annex III 5(b) (creditworthiness of natural persons)"},
        purposes=PURPOSES,
        legal_bases=[
            "GDPR Art. 6(1)(b): steps prior to entering into a credit contract",
            "GDPR Art. 6(1)(c): legal obligation to assess creditworthiness (Consumer Credit Directive)",
            "GDPR Art. 6(1)(f): security of the service (audit trail, staff accounts)",
        ],
        data_subjects=["Loan applicants (clients)", "Bank staff using Octroi"],
        data_categories=_tables(),
        model_features=features,
        model_version=bundle.version if bundle is not None else None,
        recipients=_recipients(),
        retention=_retention(settings, auth),
        security_measures=[
            "Bank client ids replaced by HMAC-SHA256 pseudonyms; key outside the database, "
            f"versions in use: {', '.join(pseudonym_versions)}",
            "Scores, probabilities and SHAP values never stored (response and TTL cache only)",
            "Staff passwords hashed with argon2id; accounts locked after "
            f"{auth.lockout_threshold} failures",
            f"HS256 access tokens of {auth.access_token_minutes} minutes, rotating refresh tokens",
            "Role-based access control from one policy table; every route declares a permission",
            "Append-only, hash-chained audit trail with Ed25519-signed checkpoints "
            f"(key id {signer_key_id}); every personal-data access audited, fail-closed",
            "TLS at the reverse proxy; API database role without UPDATE/DELETE on audit tables",
        ],
        processors=processors,
        transfers_outside_eu="None: every component runs on the bank's infrastructure",
        automated_decision_making={
            "logic": "LightGBM gradient boosting; refuse when the probability of default reaches "
                     "a threshold minimising the bank's expected cost",
            "human_oversight": "An advisor records the final decision; departing from the model "
                               "requires a reason; overrides are reported to compliance",
            "explanation": "Per-client SHAP contributions and a plain-language text",
            "contest": "The client may contest a decision and give their point of view; another advisor "
                       "reviews it (upheld or revised, with a reason); every past decision can be "
                       "reproduced from its snapshot and model version",
        },
    )


def _engine_name(settings: Settings) -> str:
    url = settings.effective_database_url
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite (single machine)"
