"""Interactive API documentation (Swagger UI) served from our own vendored assets, not a CDN."""
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html

router = APIRouter(include_in_schema=False)
ASSETS = "/static/vendor/swagger-ui"


@router.get("/docs")
def swagger_ui(request: Request):
    return get_swagger_ui_html(openapi_url=request.app.openapi_url, title="Carto ESS — API",
                               swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                               swagger_css_url=f"{ASSETS}/swagger-ui.css",
                               swagger_favicon_url=f"{ASSETS}/favicon-32x32.png")
