"""The application's routes as (method, path template) pairs, for tests that must cover all of them."""
try:  # FastAPI ≥ 0.160 keeps included routers as nested objects
    from fastapi.routing import iter_route_contexts
except ImportError:  # older FastAPI: app.routes is already flat
    def iter_route_contexts(routes):
        return routes


def app_routes(app) -> set[tuple[str, str]]:
    return {(method, r.path) for r in iter_route_contexts(app.routes) if r.path
            for method in (r.methods or ()) if method != "HEAD"}
