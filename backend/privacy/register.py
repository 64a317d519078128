"""The record of processing activities (GDPR Art. 30), generated from the code's own metadata.

Nothing here is a hand-kept copy of a fact the code already knows: recipients come from
``security.rbac.ROLE_PERMISSIONS``, data categories from the ORM tables (``Base.metadata``),
features from the loaded model bundle, retention periods from the settings. Each table must
have an entry in ``TABLE_CATEGORIES`` (English) and ``TABLE_CATEGORIES_FR`` (French): a test
fails when a new table is added without them, so the register cannot silently fall behind the
schema. The register speaks the request's language (``lang``, French by default) in every
sentence and role name; identifiers (tables, columns, permissions, settings) stay as the code
names them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from babel.numbers import format_decimal

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
    "audit_pending": (
        "Audit events committed by requests, until the audit sequencer chains them into audit_events "
        "(seconds); same fields", True,
    ),
    "audit_checkpoints": ("Signed checkpoints of the audit chain (no personal data)", False),
    "audit_anchors": ("Signed anchors of retention purges (no personal data)", False),
    "service_meta": ("Installation facts (no personal data)", False),
    "password_history": ("The argon2id hashes of a staff user's last 5 passwords, so a change cannot go back to "
                         "one; deleted with the account", True),
    "erasure_requests": ("Erasure requests under four-eyes: the client's pseudonym, the compliance officer who "
                         "asked and when, who confirmed or refused and when; deleted with the audit events of the "
                         "same age (OCTROI_AUDIT_RETENTION_DAYS)", True),
    "login_throttles": ("Failed-login counters for names that are not accounts (SHA-256 of the name)", True),
    "rate_limit_counters": ("Request counters per staff user and time window, a minute to a day (rate limits)", True),
    "outcomes": ("Realised loan outcomes (default or not, date known) by client pseudonym; erased with the client", True),
    "monitoring_aggregates": ("Batch-job aggregates (portfolio, drift, backtesting) over groups of 10 or more; "
                              "no client, no individual score; for each published result a 64-bit digest of "
                              "each row's content (no pseudonym, no id: linking one to a person takes that "
                              "person's whole row), to hold results 1 to 9 people apart, and beside each digest "
                              "the row's segment in each segmentation and its outcome cohort, to pool a segment "
                              "that moved by 1 to 9 people", False),
    # Model lifecycle (backend/decisions, backend/registry).
    "decision_snapshots": ("Decision snapshots: the application as the model saw it when an advisor "
                           "decided (pseudonymized, immutable, erased under Art. 17)", True),
    "decision_contests": ("Contests of decisions: the applicant's point of view, the review by another "
                          "advisor (outcome, reason, dates)", True),
    "model_deployments": ("Model promotions, rollbacks and challengers: version, operator, time", False),
    "challenger_daily": ("Challenger vs champion daily aggregates of applicants, served once the day is "
                         "sealed, outcomes from 10 applicants (no client, no score)", False),
    "challenger_seen": ("SHA-256 digests of (day, model versions, pseudonym) of the applicants the challenger "
                        "counted on a day not yet sealed, so each counts once; deleted when the day is sealed "
                        "(the next day)", True),
}

# table -> French category (same order of ideas as TABLE_CATEGORIES; a test fails when one is missing).
TABLE_CATEGORIES_FR: dict[str, str] = {
    "clients": "Données financières et socio-démographiques des demandeurs (pseudonymisées, schéma Home Credit)",
    "client_erasures": "Traces d'effacement : pseudonyme des clients effacés, date de l'effacement",
    "advisor_decisions": "Décisions de supervision humaine : décision du conseiller, recommandation du modèle, motif",
    "users": "Comptes du personnel : identifiant, nom, rôle, empreinte du mot de passe (argon2id), verrouillage",
    "access_requests": "Demandes d'accès à quatre yeux : identifiants du personnel, rôle, demandeur, décideur, dates",
    "refresh_families": "Sessions de connexion du personnel",
    "refresh_tokens": "Jetons de session du personnel (empreintes SHA-256 seulement)",
    "audit_events": "Journal d'audit : date, membre du personnel et rôle, action, pseudonyme, adresse IP",
    "audit_pending": (
        "Événements d'audit validés par les requêtes, en attente (quelques secondes) que le séquenceur "
        "les chaîne dans audit_events ; mêmes champs"
    ),
    "audit_checkpoints": "Points de contrôle signés de la chaîne d'audit (aucune donnée personnelle)",
    "audit_anchors": "Ancres signées des purges de conservation (aucune donnée personnelle)",
    "service_meta": "Informations d'installation (aucune donnée personnelle)",
    "password_history": "Empreintes argon2id des 5 derniers mots de passe d'un membre du personnel, pour qu'un "
                        "changement n'y revienne pas ; supprimées avec le compte",
    "erasure_requests": "Demandes d'effacement sous double contrôle : pseudonyme du client, agent de conformité "
                        "qui l'a demandé et quand, qui l'a confirmé ou refusé et quand ; supprimées avec les "
                        "événements d'audit du même âge (OCTROI_AUDIT_RETENTION_DAYS)",
    "login_throttles": "Compteurs d'échecs de connexion pour des noms qui ne sont pas des comptes (SHA-256 du nom)",
    "rate_limit_counters": "Compteurs de requêtes par membre du personnel et fenêtre de temps, d'une minute à un jour (limites de débit)",
    "outcomes": "Issues réelles des prêts (défaut ou non, date connue) par pseudonyme ; effacées avec le client",
    "monitoring_aggregates": "Agrégats des traitements par lots (portefeuille, dérive, backtesting) sur des groupes "
                             "de 10 personnes ou plus ; aucun client, aucun score individuel ; pour chaque résultat "
                             "publié, une empreinte de 64 bits du contenu de chaque ligne (ni pseudonyme ni "
                             "identifiant : la relier à une personne demande toute sa ligne), pour retenir les "
                             "résultats distants de 1 à 9 personnes, et à côté de chaque empreinte le segment de la "
                             "ligne dans chaque segmentation et sa cohorte, pour regrouper un segment qui a changé "
                             "de 1 à 9 personnes",
    "decision_snapshots": "Instantanés de décision : la demande telle que le modèle l'a vue quand un conseiller a "
                          "décidé (pseudonymisée, immuable, effacée au titre de l'art. 17)",
    "decision_contests": "Contestations de décisions : le point de vue du demandeur, le réexamen par un autre "
                         "conseiller (issue, motif, dates)",
    "model_deployments": "Promotions, retours arrière et challengers des modèles : version, opérateur, date",
    "challenger_daily": "Agrégats quotidiens challenger contre champion par demandeur, servis une fois la journée "
                        "close, résultats à partir de 10 demandeurs (aucun client, aucun score)",
    "challenger_seen": "Empreintes SHA-256 de (jour, versions du modèle, pseudonyme) des demandeurs comptés par le "
                       "challenger un jour non encore clos, pour que chacun compte une fois ; supprimées à la "
                       "clôture du jour (le lendemain)",
}

Text = dict[str, str]  # {"fr": ..., "en": ...}


PURPOSES: list[tuple[Text, Text]] = [
    ({"en": "Credit-risk assessment of loan applicants", "fr": "Évaluation du risque de crédit des demandeurs"},
     {"en": "Probability of default, decision at a cost-optimal threshold, explanation",
      "fr": "Probabilité de défaut, décision à un seuil minimisant le coût, explication"}),
    ({"en": "Human oversight of automated decisions", "fr": "Supervision humaine des décisions automatisées"},
     {"en": "Advisors record the final decision; overrides are monitored (GDPR Art. 22, AI Act Art. 14)",
      "fr": "Les conseillers enregistrent la décision finale ; les écarts au modèle sont suivis "
            "(RGPD art. 22, AI Act art. 14)"}),
    ({"en": "Portfolio steering", "fr": "Pilotage du portefeuille"},
     {"en": "Aggregates only, for the executive committee", "fr": "Agrégats seulement, pour le comité exécutif"}),
    ({"en": "Model monitoring (EBA/GL/2020/06, AI Act Art. 72)",
      "fr": "Surveillance du modèle (EBA/GL/2020/06, AI Act art. 72)"},
     {"en": "Drift and backtesting of the model against realised outcomes; aggregates only",
      "fr": "Dérive et backtesting du modèle face aux issues réelles ; agrégats seulement"}),
    ({"en": "Security and accountability", "fr": "Sécurité et redevabilité"},
     {"en": "Authentication, access control and a tamper-evident audit trail",
      "fr": "Authentification, contrôle d'accès et journal d'audit infalsifiable"}),
    ({"en": "Data-subject rights", "fr": "Droits des personnes"},
     {"en": "Access, portability and erasure requests", "fr": "Demandes d'accès, de portabilité et d'effacement"}),
]

_ACCESS_BY_PERMISSION: dict[Permission, Text] = {
    Permission.clients_read: {"en": "individual client data", "fr": "données individuelles des clients"},
    Permission.scores_compute: {"en": "individual scores and explanations (never stored)",
                                "fr": "scores et explications individuels (jamais enregistrés)"},
    Permission.privacy_manage: {"en": "individual data for data-subject requests",
                                "fr": "données individuelles pour les demandes des personnes"},
    Permission.audit_read: {"en": "audit events (pseudonyms, staff actions)",
                            "fr": "événements d'audit (pseudonymes, actions du personnel)"},
    Permission.portfolio_read: {"en": "aggregates only", "fr": "agrégats seulement"},
    Permission.monitoring_read: {"en": "monitoring aggregates only (drift, backtesting)",
                                 "fr": "agrégats de surveillance seulement (dérive, backtesting)"},
    Permission.users_manage: {"en": "staff accounts only", "fr": "comptes du personnel seulement"},
}
_NO_CLIENT_DATA: Text = {"en": "no personal data of clients", "fr": "aucune donnée personnelle de client"}

# The dashboard's names for the roles (frontend/i18n.py ``role.*``): never the raw code on a page.
ROLE_LABELS: dict[Role, Text] = {
    Role.advisor: {"fr": "conseiller", "en": "advisor"},
    Role.comex: {"fr": "COMEX", "en": "executive"},
    Role.compliance: {"fr": "conformité", "en": "compliance"},
    Role.admin: {"fr": "administrateur", "en": "administrator"},
}
_ENVIRONMENTS: dict[str, Text] = {
    "development": {"fr": "développement", "en": "development"},
    "production": {"fr": "production", "en": "production"},
}


def _recipients(lang: str) -> list[RegisterRecipient]:
    recipients = []
    for role in Role:
        permissions = sorted(p.value for p in ROLE_PERMISSIONS[role])
        access = [text[lang] for p, text in _ACCESS_BY_PERMISSION.items() if p in ROLE_PERMISSIONS[role]]
        recipients.append(RegisterRecipient(
            role=role.value, role_label=ROLE_LABELS[role][lang], permissions=permissions,
            personal_data_access="; ".join(access) or _NO_CLIENT_DATA[lang],
        ))
    return recipients


def _tables(lang: str) -> list[RegisterTable]:
    tables = []
    for table in Base.metadata.sorted_tables:
        category, personal = TABLE_CATEGORIES.get(table.name, ("UNDECLARED: add it to TABLE_CATEGORIES", True))
        if lang == "fr":
            category = TABLE_CATEGORIES_FR.get(table.name, "NON DÉCLARÉE : ajoutez-la à TABLE_CATEGORIES_FR")
        tables.append(RegisterTable(
            table=table.name, category=category, personal_data=personal,
            columns=[column.name for column in table.columns],
        ))
    return tables


def _retention(settings: Settings, auth: AuthSettings, lang: str) -> list[RegisterRetention]:
    fr = lang == "fr"
    days = settings.audit_retention_days
    rows: list[tuple[Text, str, str | None, int | None]] = [
        ({"en": "Audit events", "fr": "Événements d'audit"},
         f"{days} jours" if fr else f"{days} days", "OCTROI_AUDIT_RETENTION_DAYS", days),
        ({"en": "Cached scores and explanations (memory or Redis, never on disk)",
          "fr": "Scores et explications en cache (mémoire ou Redis, jamais sur disque)"},
         f"{settings.score_cache_ttl_seconds} secondes" if fr else f"{settings.score_cache_ttl_seconds} seconds",
         "OCTROI_SCORE_CACHE_TTL_SECONDS", settings.score_cache_ttl_seconds),
        ({"en": "Access tokens", "fr": "Jetons d'accès"},
         f"{auth.access_token_minutes} minutes", "OCTROI_ACCESS_TOKEN_MINUTES", auth.access_token_minutes),
        ({"en": "Staff sessions (refresh tokens)", "fr": "Sessions du personnel (jetons de renouvellement)"},
         f"{auth.refresh_token_days} jours, supprimées par la purge une fois terminées" if fr
         else f"{auth.refresh_token_days} days, deleted by the purge once ended",
         "OCTROI_REFRESH_TOKEN_DAYS", auth.refresh_token_days),
        ({"en": "Account lockouts", "fr": "Verrouillages de comptes"},
         f"{auth.lockout_minutes} minutes ; compteurs remis à zéro après {days} jours sans activité" if fr
         else f"{auth.lockout_minutes} minutes; counters reset after {days} days without activity",
         "OCTROI_LOCKOUT_MINUTES", auth.lockout_minutes),
        ({"en": "Client features and realised outcomes", "fr": "Caractéristiques des clients et issues réelles"},
         f"{format_decimal(settings.client_retention_days, locale='fr_FR')} jours sans activité dans le dossier "
         "(import modifié, décision, "
         "contestation), puis supprimés par la purge ; plus tôt à l'effacement (art. 17) ; remplacés par "
         "un nouvel import" if fr
         else f"{settings.client_retention_days:,} days without activity in the file (changed by an import, "
         "decision, contest), then deleted by the purge; earlier on erasure (Art. 17); replaced by a new "
         "import",
         "OCTROI_CLIENT_RETENTION_DAYS", settings.client_retention_days),
    ]
    fixed: list[tuple[Text, Text]] = [
        ({"en": "Erasure tombstones", "fr": "Traces d'effacement"},
         {"en": "as long as the pseudonym key version is in use",
          "fr": "tant que la version de clé de pseudonymisation est en service"}),
        ({"en": "Advisor decisions", "fr": "Décisions des conseillers"},
         {"en": "linked to the client until erasure or the end of the retention period, then anonymised "
                "statistics",
          "fr": "liées au client jusqu'à l'effacement ou la fin de la durée de conservation, puis statistiques "
                "anonymisées"}),
        ({"en": "Decision snapshots and contests", "fr": "Instantanés de décision et contestations"},
         {"en": "with the client's decisions; snapshots deleted and contests anonymised on erasure or at "
                "the end of the retention period",
          "fr": "avec les décisions du client ; instantanés supprimés et contestations anonymisées à "
                "l'effacement ou à la fin de la durée de conservation"}),
        ({"en": "Score, probability and explanation values", "fr": "Scores, probabilités et explications"},
         {"en": "never stored (response and TTL cache only)",
          "fr": "jamais enregistrés (réponse et cache à durée limitée seulement)"}),
    ]
    return [
        *(RegisterRetention(data=data[lang], period=period, setting=setting, value=value)
          for data, period, setting, value in rows),
        *(RegisterRetention(data=data[lang], period=period[lang], setting=None, value=None) for data, period in fixed),
    ]


def _security_measures(auth: AuthSettings, pseudonym_versions: tuple[str, ...], signer_key_id: str,
                       lang: str) -> list[str]:
    versions = ", ".join(pseudonym_versions)
    if lang == "fr":
        return [
            "Identifiants bancaires remplacés par des pseudonymes HMAC-SHA256 ; clé hors de la base, "
            f"versions en service : {versions}",
            "Scores, probabilités et valeurs SHAP jamais enregistrés (réponse et cache à durée limitée seulement)",
            "Mots de passe du personnel hachés avec argon2id ; comptes verrouillés après "
            f"{auth.lockout_threshold} échecs",
            f"Jetons d'accès HS256 de {auth.access_token_minutes} minutes, jetons de renouvellement tournants",
            "Contrôle d'accès par rôle depuis une seule table de droits ; chaque route déclare une permission",
            "Journal d'audit en ajout seul, chaîné par empreintes, avec points de contrôle signés Ed25519 "
            f"(clé {signer_key_id}) ; tout accès à des données personnelles est audité, refusé si l'audit échoue",
            "TLS au proxy inverse ; rôle de base de données de l'API sans UPDATE/DELETE sur les tables d'audit",
        ]
    return [
        "Bank client ids replaced by HMAC-SHA256 pseudonyms; key outside the database, "
        f"versions in use: {versions}",
        "Scores, probabilities and SHAP values never stored (response and TTL cache only)",
        "Staff passwords hashed with argon2id; accounts locked after "
        f"{auth.lockout_threshold} failures",
        f"HS256 access tokens of {auth.access_token_minutes} minutes, rotating refresh tokens",
        "Role-based access control from one policy table; every route declares a permission",
        "Append-only, hash-chained audit trail with Ed25519-signed checkpoints "
        f"(key id {signer_key_id}); every personal-data access audited, fail-closed",
        "TLS at the reverse proxy; API database role without UPDATE/DELETE on audit tables",
    ]


_AUTOMATED: dict[str, Text] = {
    "logic": {
        "en": "LightGBM gradient boosting; refuse when the probability of default reaches a threshold "
              "minimising the bank's expected cost",
        "fr": "Gradient boosting LightGBM ; refus quand la probabilité de défaut atteint un seuil qui "
              "minimise le coût attendu pour la banque",
    },
    "human_oversight": {
        "en": "An advisor records the final decision; departing from the model requires a reason; "
              "overrides are reported to compliance",
        "fr": "Un conseiller enregistre la décision finale ; s'écarter du modèle exige un motif ; les "
              "écarts sont signalés à la conformité",
    },
    "explanation": {"en": "Per-client SHAP contributions and a plain-language text",
                    "fr": "Contributions SHAP propres à chaque client et un texte en langage courant"},
    "contest": {
        "en": "The client may contest a decision and give their point of view; another advisor reviews it "
              "(upheld or revised, with a reason); every past decision can be reproduced from its snapshot "
              "and model version",
        "fr": "Le client peut contester une décision et donner son point de vue ; un autre conseiller la "
              "réexamine (maintenue ou révisée, avec un motif) ; toute décision passée peut être reproduite "
              "à partir de son instantané et de la version du modèle",
    },
}


def build_register(
    settings: Settings, auth: AuthSettings, bundle: Any | None, pseudonym_versions: tuple[str, ...],
    signer_key_id: str, lang: str = "fr",
) -> ProcessingRegister:
    """The register in ``lang`` ("fr" or "en"): every sentence and role name in that language;
    identifiers (tables, columns, permissions, settings) stay as the code names them."""
    fr = lang == "fr"
    features = []
    if bundle is not None:
        labels = bundle.feature_labels(lang)
        features = [RegisterFeature(name=name, label=labels.get(name, name)) for name in bundle.feature_names]
    engine = _engine_name(settings, lang)
    processors = [{"name": "Base de données" if fr else "Database",
                   "role": f"{engine}, exploitée par la banque" if fr else f"{engine}, operated by the bank"}]
    if settings.redis_url:
        processors.append({"name": "Redis", "role": "cache des scores et limites de débit, sans persistance" if fr
                           else "score cache and rate limits, no persistence"})
    return ProcessingRegister(
        controller="La banque qui exploite Octroi (direction du crédit) ; contact du DPO dans SECURITY.md" if fr
        else "The bank operating Octroi (credit department); DPO contact in SECURITY.md",
        generated_at=datetime.now(UTC),
        lang=lang,  # type: ignore[arg-type]
        system={"name": "Octroi", "environment": _ENVIRONMENTS[settings.env.value][lang],
                "ai_act": "Système d'IA à haut risque, annexe III 5(b) (solvabilité des personnes physiques)" if fr
                else "High-risk AI system, Annex III 5(b) (creditworthiness of natural persons)"},
        purposes=[{"purpose": purpose[lang], "detail": detail[lang]} for purpose, detail in PURPOSES],
        legal_bases=[
            "RGPD art. 6(1)(b) : mesures précontractuelles à un contrat de crédit",
            "RGPD art. 6(1)(c) : obligation légale d'évaluer la solvabilité (directive crédit aux consommateurs)",
            "RGPD art. 6(1)(f) : sécurité du service (journal d'audit, comptes du personnel)",
        ] if fr else [
            "GDPR Art. 6(1)(b): steps prior to entering into a credit contract",
            "GDPR Art. 6(1)(c): legal obligation to assess creditworthiness (Consumer Credit Directive)",
            "GDPR Art. 6(1)(f): security of the service (audit trail, staff accounts)",
        ],
        data_subjects=["Demandeurs de crédit (clients)", "Personnel de la banque utilisant Octroi"] if fr
        else ["Loan applicants (clients)", "Bank staff using Octroi"],
        data_categories=_tables(lang),
        model_features=features,
        model_version=bundle.version if bundle is not None else None,
        recipients=_recipients(lang),
        retention=_retention(settings, auth, lang),
        security_measures=_security_measures(auth, pseudonym_versions, signer_key_id, lang),
        processors=processors,
        transfers_outside_eu="Aucun : chaque composant fonctionne sur l'infrastructure de la banque" if fr
        else "None: every component runs on the bank's infrastructure",
        automated_decision_making={key: text[lang] for key, text in _AUTOMATED.items()},
    )


def _engine_name(settings: Settings, lang: str) -> str:
    url = settings.effective_database_url
    if url.startswith("postgresql"):
        return "PostgreSQL"
    return "SQLite (une seule machine)" if lang == "fr" else "SQLite (single machine)"
