"""The cross-tenant harness: every URL that takes an object id registers here how to make such
an object in a tenant. The harness then asks for tenant B's object as tenant A and expects 404,
and asks for tenant A's own object to prove the route really finds objects (so the 404 means
isolation, not a broken route). ``test_every_id_route_is_registered`` fails for any new URL
pattern with an id that nobody registered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# make(tenant) -> the URL kwargs addressing a fresh object owned by `tenant`.
Maker = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    name: str
    make: Maker
    method: str = "get"
    kind: str = "web"  # "web" (session of an owner) or "api" (API key with every scope)
    data: dict[str, Any] = field(default_factory=dict)
    # Statuses that prove the route found tenant A's own object (anything but 404 by default).
    ok_statuses: tuple[int, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.method}:{self.name}"


REGISTRY: dict[str, Route] = {}
# Id routes that are deliberately not tenant-scoped by object id (with the reason).
EXEMPT: dict[str, str] = {}


def register(route: Route) -> Route:
    REGISTRY[route.id] = route
    return route


def exempt(name: str, reason: str) -> None:
    EXEMPT[name] = reason
