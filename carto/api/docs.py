"""Interactive API documentation (Swagger UI) served from our own vendored assets, not a CDN."""
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)
ASSETS = "/static/vendor/swagger-ui"


@router.get("/docs")
def swagger_ui(request: Request):
    page = get_swagger_ui_html(openapi_url=request.app.openapi_url, title="Carto ESS — API",
                               swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                               swagger_css_url=f"{ASSETS}/swagger-ui.css",
                               swagger_favicon_url=f"{ASSETS}/favicon-32x32.png")
    # FastAPI's page starts Swagger UI from an inline script: it runs under our CSP with the nonce.
    nonce = request.state.csp_nonce
    return HTMLResponse(page.body.decode().replace("<script>", f'<script nonce="{nonce}">'))
