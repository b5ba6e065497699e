"""Runtime settings, read from environment variables prefixed with ``CARTO_``."""
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Reference geography shipped beside every checkout (and in CI); see ../shared/geodata/README.md.
SHARED_GEODATA = PROJECT_ROOT.parent / "shared" / "geodata"
PROJECT_GEODATA = PROJECT_ROOT / "geodata"


DEFAULT_SECRET_KEY = "change-me-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARTO_", env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'data' / 'carto.storage.db'}"
    # Server mode (postgresql://…): connections kept per process, extra ones allowed under load,
    # seconds to wait for a free one, seconds after which a connection is replaced.
    database_pool_size: int = 10
    database_max_overflow: int = 10
    database_pool_timeout: float = 30
    database_pool_recycle: int = 1800
    # Directory holding the commune layer and the pôles table. None: territory features off.
    geodata: Path | None = None
    secret_key: str = DEFAULT_SECRET_KEY
    public_base_url: str = "http://127.0.0.1:8000"
    # Tile URL template; "blank" serves a local grey tile (offline use and tests).
    tiles: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    # Sites allowed to frame /embed, space separated CSP sources ("*": any; "": only our own pages).
    embed_frame_ancestors: str = "*"
    # Outgoing mail. Without an SMTP host, mails are written as .eml files to the outbox directory
    # (default: "outbox" beside the SQLite database, else data/outbox), so none is lost in development.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_security: str = "starttls"  # starttls | ssl | none
    mail_from: str = "Carto ESS Bretagne <ne-pas-repondre@carto-ess.invalid>"
    outbox_dir: Path | None = None
    # Freshness campaigns (``carto freshness send``): a sheet unverified for this many months is
    # mailed to its structure; an unanswered mail is sent again after ``freshness_reminder_days``.
    freshness_months: int = 12
    freshness_reminder_days: int = 14
    # Who publishes the service, for /mentions-legales, /donnees-personnelles and /accessibilite
    # (French law: LCEN art. 6, RGPD art. 13, RGAA). Unset ones are shown as « non renseigné ».
    publisher_name: str = "Carto ESS Bretagne"
    publisher_address: str | None = None
    publication_director: str | None = None
    host_name: str | None = None  # the hosting provider: name, address and telephone
    contact_email: str | None = None  # for accessibility, personal data and legal questions
    # Services outside the machine, each with an offline fallback (``none`` turns one off).
    # Addresses: the Base Adresse Nationale, served by the Géoplateforme; api-adresse.data.gouv.fr
    # or a self-hosted addok answer the same API.
    geocoder: str = "ban"  # ban | none
    geocoder_url: str = "https://data.geopf.fr/geocodage"
    # Companies: the recherche-entreprises API of the French administration (no key).
    sirene: str = "api"  # api | none
    sirene_url: str = "https://recherche-entreprises.api.gouv.fr"
    external_timeout: float = 5.0  # seconds before a service outside is taken as unavailable
    # Limits, shared by every server process (kept in the database): proposals, changes and reports
    # accepted per sending address and hour; mails to one contributor address per day.
    submissions_per_hour: int = Field(default=10, ge=1)
    mails_per_recipient_per_day: int = Field(default=5, ge=1)
    # Reverse proxies whose X-Forwarded-For names the real client (uvicorn's forwarded-allow-ips:
    # comma-separated addresses or networks). Empty: the header is ignored from everyone.
    trusted_proxies: str = ""
    # Request bodies: public forms and API calls, and administrators' uploads (imports).
    max_form_kb: int = Field(default=256, ge=16)
    max_upload_mb: int = Field(default=300, ge=1)

    @field_validator("geodata", mode="before")
    @classmethod
    def _default_geodata(cls, value):
        if value in (None, ""):
            return SHARED_GEODATA if SHARED_GEODATA.is_dir() else None
        return value

    @property
    def taxonomy_file(self) -> Path:
        return PROJECT_GEODATA / "taxonomy.yaml"

    @property
    def territories_enabled(self) -> bool:
        return self.geodata is not None and self.geodata.is_dir()


LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
MIN_SECRET_LENGTH = 16


class UnsafeSettings(ValueError):
    """Settings a server reachable by others must not run with (a French message)."""


def is_local(host: str | None) -> bool:
    return (host or "").strip("[]") in LOCAL_HOSTS


def check_deployment(settings: Settings, host: str = "127.0.0.1") -> None:
    """Refuse the shipped secret key (or a short one) outside a machine's own loopback: anyone could
    sign sessions and CSRF tokens with it. Local development (public URL and listening address on
    the loopback) may keep it; ``carto demo`` generates one."""
    public_host = urlsplit(settings.public_base_url).hostname
    if is_local(public_host) and is_local(host):
        return
    if settings.secret_key == DEFAULT_SECRET_KEY or len(settings.secret_key) < MIN_SECRET_LENGTH:
        raise UnsafeSettings(
            "CARTO_SECRET_KEY a sa valeur par défaut (ou moins de 16 caractères) : n'importe qui pourrait signer des "
            "sessions de modération. Donnez-lui une valeur secrète et aléatoire, par exemple celle de "
            "« python3 -c 'import secrets; print(secrets.token_urlsafe(32))' », puis relancez.")


@lru_cache
def get_settings() -> Settings:
    return Settings()
