"""What a deployment must not run with, and what it adds once public: the secret key, HTTPS."""
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from carto.app import create_app
from carto.cli import app as cli, proxy_options
from carto.core.settings import DEFAULT_SECRET_KEY, Settings, UnsafeSettings, check_deployment, get_settings


def test_a_public_deployment_refuses_the_shipped_secret_key(tmp_path):
    public = Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}", public_base_url="https://carto.example")
    for key in (DEFAULT_SECRET_KEY, "court"):
        with pytest.raises(UnsafeSettings, match="CARTO_SECRET_KEY a sa valeur par défaut"):
            check_deployment(public.model_copy(update={"secret_key": key}))
    check_deployment(public.model_copy(update={"secret_key": "x" * 32}))
    local = public.model_copy(update={"public_base_url": "http://127.0.0.1:8000"})
    check_deployment(local)  # development on the machine's own loopback
    with pytest.raises(UnsafeSettings):
        check_deployment(local, host="0.0.0.0")  # …but listening for the whole network


def test_the_factory_and_carto_serve_refuse_it_with_a_french_message(monkeypatch, tmp_path):
    monkeypatch.setenv("CARTO_DATABASE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    monkeypatch.setenv("CARTO_PUBLIC_BASE_URL", "https://carto.example")
    monkeypatch.delenv("CARTO_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(UnsafeSettings):
            create_app()  # uvicorn's --factory, each worker of carto serve
        result = CliRunner().invoke(cli, ["serve", "--port", "8999"])
        assert result.exit_code == 1 and "CARTO_SECRET_KEY a sa valeur par défaut" in result.output
    finally:
        get_settings.cache_clear()


def test_https_deployments_send_strict_transport_security(service):
    with TestClient(create_app(service=service)) as client:
        assert "strict-transport-security" not in client.get("/api/taxonomy").headers
    service.settings.public_base_url = "https://carto.example"
    with TestClient(create_app(service=service), base_url="https://carto.example") as client:
        assert client.get("/api/taxonomy").headers["strict-transport-security"] == "max-age=63072000"
        assert client.get("/").headers["strict-transport-security"] == "max-age=63072000"


def test_forwarded_headers_are_believed_only_from_the_trusted_proxies():
    assert proxy_options(Settings()) == {"proxy_headers": False, "forwarded_allow_ips": None}
    trusted = Settings(trusted_proxies="10.0.0.2, 10.0.1.0/24")
    assert proxy_options(trusted) == {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.2, 10.0.1.0/24"}
