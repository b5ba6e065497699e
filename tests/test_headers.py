"""Security headers and the framing policy: only embed pages may be framed."""
from carto.api.headers import frame_ancestors, is_embed


def test_ordinary_pages_refuse_to_be_framed(client):
    for path in ("/", "/api/sites?limit=1", "/docs"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_embed_pages_may_be_framed_by_the_configured_sites():
    assert is_embed("/embed") and is_embed("/embed/sites/3")
    assert not is_embed("/embed/builder") and not is_embed("/embedded")
    assert frame_ancestors("*") == "frame-ancestors *"
    assert frame_ancestors("https://pole.example https://ville.example") == (
        "frame-ancestors 'self' https://pole.example https://ville.example")
    # Our own builder previews the embed, whatever the allow-list.
    assert frame_ancestors("") == "frame-ancestors 'self'"
    assert frame_ancestors("'self' https://pole.example") == "frame-ancestors 'self' https://pole.example"
