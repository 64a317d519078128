"""``GET /clients/{client_id}/report.pdf``: the one-page client report for the credit file.

Built from the same services as the other client endpoints (profile, score, explanation,
comparison), drawn in memory and streamed: Octroi never stores it. Its generation is one
``report.generate`` audit event (pseudonym, model version, input hash), committed before
the first byte leaves, so a failed audit write means no report (503).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from backend.api.routing import GuardedRoute
from backend.audit.actions import AuditAction
from backend.clients.guard import ClientContext, client_guard
from backend.clients.routes import _ERRORS
from backend.clients.schemas import Lang
from backend.clients.service import readable_profile
from backend.decisions import service as decisions
from backend.ratelimit import RATE_LIMITED_RESPONSES
from backend.reports.pdf import build_report
from backend.scoring import service as scoring
from backend.timezone import BANK_TIMEZONE
from security.rbac import Permission

router = APIRouter(prefix="/clients", tags=["reports"], route_class=GuardedRoute)

PDF_CHUNK = 64 * 1024


@router.get(
    "/{client_id}/report.pdf",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The report (PDF)"},
        **_ERRORS,
        **RATE_LIMITED_RESPONSES,
    },
)
def client_report(
    client_id: str,
    lang: Lang = "fr",
    top: int = Query(default=8, ge=3, le=15, description="Factors and features shown"),
    # The report carries the score: it shares the scoring budget, or it would be an oracle.
    ctx: ClientContext = Depends(
        client_guard(Permission.reports_generate, AuditAction.report_generate, rate="scoring")
    ),
) -> StreamingResponse:
    """Score, decision, explanation and comparison of one client on one A4 page."""
    client, bundle, cache = ctx.client, ctx.model, ctx.cache
    input_hash = bundle.input_hash(client.features)
    score = scoring.client_score(cache, bundle, client.pseudonym, client.features, input_hash, lang)
    explanation = scoring.client_explanation(
        cache, bundle, client.pseudonym, client.features, input_hash, top, lang
    )
    comparison = scoring.comparison(bundle, client.features, lang, top)
    # The file's blanks the model never learned, by label, as the dashboard names them.
    unlearned = [label for _, label in scoring.unlearned_labelled(bundle, client.features, lang)]
    current = decisions.current_decision(ctx.db, ctx.candidates(client_id))
    now = datetime.now(UTC)
    pdf = build_report(
        client_id=client_id,
        profile=readable_profile(client.features, lang, bundle.policy.excluded_columns),
        score={**score, "input_hash": input_hash, "unlearned_labels": unlearned},
        explanation=explanation,
        comparison=comparison,
        generated_by=ctx.principal.username,
        lang=lang,
        now=now,
        advisor_decision=None if current is None else {
            "decision": current.decision, "recommendation": current.recommendation, "advisor": current.advisor,
            "decided_at": current.decided_at, "reason": current.reason,
        },
    )
    ctx.audit(resource=client.pseudonym, model_version=bundle.version, input_hash=input_hash,
              details={"lang": lang, "top": top})

    def chunks() -> Any:
        for start in range(0, len(pdf), PDF_CHUNK):
            yield pdf[start : start + PDF_CHUNK]

    # The file name carries no client id: downloads folders and proxies log file names.
    # Named in the report's language and dated in the bank's time, as the page it holds.
    filename = f"octroi-{'rapport' if lang == 'fr' else 'report'}-{now.astimezone(BANK_TIMEZONE):%Y%m%d-%H%M%S}.pdf"
    return StreamingResponse(
        chunks(),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "Content-Length": str(len(pdf)),
            "X-Model-Version": bundle.version,  # every model answer names its version (issue 15)
        },
    )
