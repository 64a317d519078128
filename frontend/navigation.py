"""Which pages each role is given. A role's navigation holds only its own pages, so another
role's page has no URL in that session at all (the API still checks every permission)."""

from __future__ import annotations

from dataclasses import dataclass

# The page files live in ``screens/``, not ``pages/``: a ``pages/`` folder beside the entry
# point switches Streamlit to its older directory-based navigation, which would list every
# role's page to everyone.


@dataclass(frozen=True)
class PageSpec:
    file: str  # relative to frontend/, as st.Page and AppTest.switch_page take it
    title_key: str
    icon: str
    url_path: str


LOGIN = PageSpec("screens/login.py", "nav.login", ":material/login:", "login")
CHANGE_PASSWORD = PageSpec("screens/change_password.py", "nav.change_password", ":material/key:", "password")
ACCOUNT = PageSpec("screens/account.py", "nav.account", ":material/person:", "account")

ROLE_PAGES: dict[str, tuple[PageSpec, ...]] = {
    "advisor": (
        PageSpec("screens/advisor_client.py", "nav.client", ":material/person_search:", "client"),
        PageSpec("screens/advisor_new_applicant.py", "nav.new_applicant", ":material/note_add:", "new-applicant"),
    ),
    "comex": (
        PageSpec("screens/comex_portfolio.py", "nav.portfolio", ":material/monitoring:", "portfolio"),
        PageSpec("screens/comex_model.py", "nav.model", ":material/model_training:", "model"),
    ),
    "compliance": (
        PageSpec("screens/compliance_audit.py", "nav.audit", ":material/fact_check:", "audit"),
        PageSpec("screens/compliance_subject.py", "nav.subject", ":material/folder_shared:", "data-subject"),
        PageSpec("screens/compliance_overrides.py", "nav.overrides", ":material/rule:", "overrides"),
    ),
    "admin": (
        PageSpec("screens/admin_users.py", "nav.users", ":material/group:", "users"),
    ),
}


# Pages every role reads (GET /model and GET /privacy/register need a permission every role
# holds). They are kept out of ROLE_PAGES, which lists what is exclusive to one role. COMEX's
# own model page already shows the card, so COMEX is not given it twice.
MODEL_CARD = PageSpec("screens/model_card.py", "nav.model_card", ":material/description:", "model-card")
REGISTER = PageSpec("screens/register.py", "nav.register", ":material/menu_book:", "register")
ROLES_WITH_OWN_MODEL_PAGE = frozenset({"comex"})
# Model versions and the challenger's aggregates (issue 15; GET /model/challenger): COMEX and compliance.
CHALLENGER = PageSpec("screens/model_challenger.py", "nav.challenger", ":material/compare_arrows:", "challenger")
ROLES_WITH_CHALLENGER = frozenset({"comex", "compliance"})
# Drift and backtesting (GET /monitoring/*, permission monitoring:read): COMEX and compliance.
MONITORING = PageSpec("screens/monitoring.py", "nav.monitoring", ":material/query_stats:", "monitoring")
MONITORING_ROLES = frozenset({"comex", "compliance"})


def shared_pages(role: str) -> tuple[PageSpec, ...]:
    if role not in ROLE_PAGES:
        return ()
    card = () if role in ROLES_WITH_OWN_MODEL_PAGE else (MODEL_CARD,)
    challenger = (CHALLENGER,) if role in ROLES_WITH_CHALLENGER else ()
    monitoring = (MONITORING,) if role in MONITORING_ROLES else ()
    return (*monitoring, *card, *challenger, REGISTER)


def pages_for(role: str | None, *, must_change_password: bool = False) -> tuple[PageSpec, ...]:
    """The pages a session may reach: login when anonymous, only the password form while a
    one-time password is in use, else the role's pages plus the account page."""
    if role is None:
        return (LOGIN,)
    if must_change_password:
        return (CHANGE_PASSWORD,)
    return (*ROLE_PAGES.get(role, ()), *shared_pages(role), ACCOUNT)


def pages_behind_login() -> tuple[PageSpec, ...]:
    """Every page a login leads to, whichever role has it (not the login and password forms a
    session leaves as it logs in)."""
    roles = tuple(spec for specs in ROLE_PAGES.values() for spec in specs)
    return (*roles, MONITORING, MODEL_CARD, CHALLENGER, REGISTER, ACCOUNT)
