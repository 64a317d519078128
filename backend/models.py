"""Every ORM table, imported in one place so Alembic and the app see the whole schema.

Each domain keeps its tables in its own ``models.py``; add the import here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

# Each domain's tables (imported for their side effect of registering on Base.metadata).
import backend.audit.models  # noqa: E402,F401
import backend.auth.models  # noqa: E402,F401
import backend.clients.models  # noqa: E402,F401
import backend.decisions.models  # noqa: E402,F401
import backend.monitoring.models  # noqa: E402,F401
import backend.privacy.models  # noqa: E402,F401
import backend.ratelimit  # noqa: E402,F401
import backend.registry.models  # noqa: E402,F401
import backend.users.models  # noqa: E402,F401
from backend.db import Base


class ServiceMeta(Base):
    """Small key/value facts about this installation (e.g. the demo's data fingerprint)."""

    __tablename__ = "service_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


__all__ = ["Base", "ServiceMeta"]
