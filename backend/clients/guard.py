"""``client_guard(Permission.X, AuditAction.Y)``: the guard of a route about one client.

On top of ``backend.auth.deps.guard`` (authentication, permission, rate budget, the request's
session) it turns the client id of the path into a pseudonym and loads the client (422 for a
malformed id, 404 audited under the route's action for an unknown or erased one), and hands
the model when the route needs it (503 naming the problem when there is none)::

    ctx: ClientContext = Depends(client_guard(Permission.scores_compute, AuditAction.score_compute,
                                              rate="scoring"))
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

from fastapi import Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError

from backend.audit.actions import AuditAction
from backend.auth.deps import GuardCall, GuardSpec, RequestContext, oauth2_scheme
from backend.cache import ResultCache
from backend.clients.models import StoredClient
from backend.clients.service import ClientNotFound, find_client
from backend.ratelimit import RateBudget
from backend.scoring.model import bundle_of, cache_of, keyring_of
from security.pseudonym import MalformedClientId, PseudonymKeyRing
from security.rbac import Permission

if TYPE_CHECKING:
    from ml.bundle import ModelBundle

NOT_FOUND = "client not found"

# "required": 503 without a model; "loaded": the model if one is loaded (None otherwise); "none".
ModelNeed = Literal["required", "loaded", "none"]


def malformed_client_id(exc: MalformedClientId, *where: str) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": (*where, "client_id"), "msg": str(exc).removeprefix("client_id "), "type": "value_error"}]
    )


def load_client(ctx: RequestContext, ring: PseudonymKeyRing, client_id: str) -> StoredClient:
    """The client, or 422 (malformed id) / 404 (unknown or erased: one answer for both)."""
    try:
        return find_client(ctx.db, ring, client_id)
    except MalformedClientId as exc:
        raise malformed_client_id(exc, "path") from None
    except ClientNotFound:
        # The attempt is audited, without the id: it could be a real one with a typo.
        ctx.refuse(outcome="error", details={"reason": "not_found"})
        raise HTTPException(status_code=404, detail=NOT_FOUND) from None


class ClientContext(RequestContext):
    """A ``RequestContext`` with the client of the path, the key ring, the model and the cache."""

    client: StoredClient
    ring: PseudonymKeyRing
    bundle: ModelBundle | None
    cache: ResultCache

    @classmethod
    def of(cls, ctx: RequestContext, client: StoredClient, ring: PseudonymKeyRing, bundle: ModelBundle | None,
           cache: ResultCache) -> ClientContext:
        self = cls.__new__(cls)
        self.__dict__.update(ctx.__dict__)
        self.client, self.ring, self.bundle, self.cache = client, ring, bundle, cache
        return self

    @property
    def model(self) -> ModelBundle:
        """The bundle of a route whose guard requires one."""
        assert self.bundle is not None, "this route's guard does not require the model"
        return self.bundle

    def candidates(self, client_id: str) -> list[str]:
        """The client id's pseudonym under every key version (validated by the guard already)."""
        return [p.value for p in self.ring.candidates(client_id)]


def client_guard(
    permission: Permission,
    action: AuditAction,
    *,
    rate: str | RateBudget | None = None,
    model: ModelNeed = "required",
) -> Callable[..., Awaitable[ClientGuardCall]]:
    """``guard`` + the client of the ``{client_id}`` path parameter (+ the model); see above.
    One dependency, and with the route one trip through the thread pool."""
    spec = GuardSpec(permission, action, rate, allow_pending_password_change=False)

    async def dependency(
        client_id: str,
        request: Request,
        response: Response,
        token: str | None = Depends(oauth2_scheme),
    ) -> ClientGuardCall:
        return ClientGuardCall(spec, request, await spec.admit(request, token), client_id, response, model)

    spec.mark(dependency, "client_guard")
    return dependency


class ClientGuardCall(GuardCall):
    """A ``GuardCall`` that also loads the client of the path and the model, in the same trip."""

    def __init__(self, spec: GuardSpec, request: Request, claims: dict[str, Any], client_id: str,
                 response: Response, model: ModelNeed) -> None:
        super().__init__(spec, request, claims)
        self.client_id, self.response, self.model = client_id, response, model

    @contextmanager
    def context(self) -> Iterator[ClientContext]:
        request = self.request
        with self.spec.enter(request, self.claims) as ctx:
            ring, cache = keyring_of(request), cache_of(request)
            bundle = None
            if self.model == "required":
                bundle = bundle_of(request, self.response)
            elif self.model == "loaded":
                bundle = request.app.state.model.loaded
            client = load_client(ctx, ring, self.client_id)
            yield ClientContext.of(ctx, client, ring, bundle, cache)
