"""``/api`` refuses query parameters it does not define (400 naming them), as OGC API does: a
mistyped filter (``/api/sites?es=false``) must not pass for « no filter »."""
from fastapi import Request
from fastapi.routing import APIRoute
from pydantic import BaseModel

from carto.api.deps import bad_request, query_parameters

PREFIX = "/api/"
# The embed's options follow the embed's rule: unknown ones are ignored (a partner's page cannot show
# our errors), so its snippet API takes any query. The GoGoCarto feed follows GoGoCarto's: its
# clients send their own options (token, bounds, categories, fullRepresentation…), which it ignores.
LENIENT = ("/api/embed/", "/api/elements", "/api/taxonomy.json")


def _query_params(dependant) -> list:
    """The query parameters of a route and of all its dependencies."""
    return [*dependant.query_params, *(p for sub in dependant.dependencies for p in _query_params(sub))]


def _accepted(route: APIRoute) -> frozenset[str]:
    names = set()
    for param in _query_params(route.dependant):
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):  # a query model (the supplier search)
            names |= {f.alias or name for name, f in model.model_fields.items()}
        else:
            names.add(param.alias)
    return frozenset(names | {p["name"] for p in query_parameters(route.dependant)})


async def known_parameters_only(request: Request) -> None:
    """An application dependency: every ``/api`` route checks its query against what it declares."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not route.path.startswith(PREFIX) or route.path.startswith(LENIENT):
        return
    accepted = getattr(route, "_accepted_query", None)
    if accepted is None:
        accepted = route._accepted_query = _accepted(route)
    unknown = sorted({name for name in request.query_params if name not in accepted})
    if unknown:
        listed = ", ".join(sorted(accepted)) or "aucun"
        raise bad_request(unknown[0], f"paramètre{'s' if len(unknown) > 1 else ''} inconnu"
                                      f"{'s' if len(unknown) > 1 else ''} : {', '.join(unknown)} (acceptés : {listed})")
