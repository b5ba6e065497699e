"""Passwords (argon2), signed values, login sessions and CSRF tokens. Knows nothing of HTTP.

A login session is a random token held by the browser (signed, in an HttpOnly cookie); the
database keeps only its SHA-256, so a leaked database does not hand out live sessions. A CSRF token
is an HMAC of a per-browser seed: forms carry it, and a request without the right one is refused.
"""
import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, delete

from carto.storage.models import LoginSession, User, utcnow

SESSION_LIFETIME = timedelta(hours=12)
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@lru_cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


def waste_a_verification(password: str) -> None:
    """Spend the time of a real check, so an unknown e-mail cannot be told from a wrong password."""
    verify_password(_dummy_hash(), password)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign(secret: str, purpose: str, value: str) -> str:
    mac = hmac.new(secret.encode(), f"{purpose}|{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def signed(secret: str, purpose: str, value: str) -> str:
    return f"{value}.{sign(secret, purpose, value)}"


def unsigned(secret: str, purpose: str, signed_value: str | None) -> str | None:
    """The value of ``signed_value`` if its signature is right, else None."""
    value, _, mac = (signed_value or "").rpartition(".")
    if value and _same(mac, sign(secret, purpose, value)):
        return value
    return None


def csrf_token(secret: str, seed: str) -> str:
    return sign(secret, "csrf", seed)


def csrf_valid(secret: str, seed: str | None, token: str | None) -> bool:
    return bool(seed and token) and _same(token, csrf_token(secret, seed))


def _same(given: str, expected: str) -> bool:
    # As bytes: compare_digest refuses str with non-ASCII characters, and what is given comes from anyone.
    return hmac.compare_digest(given.encode(), expected.encode())


def open_session(session: Session, user: User) -> str:
    """Start a login session for ``user``; returns the token for the browser."""
    token = new_token()
    session.add(LoginSession(id=token_digest(token), user_id=user.id, expires_at=utcnow() + SESSION_LIFETIME))
    user.last_login_at = utcnow()
    session.add(user)
    return token


def session_user(session: Session, token: str | None) -> tuple[LoginSession, User] | None:
    """The live session of ``token`` and its (active) user, or None."""
    if not token:
        return None
    login = session.get(LoginSession, token_digest(token))
    if login is None or _aware(login.expires_at) <= utcnow():
        return None
    user = session.get(User, login.user_id)
    return (login, user) if user is not None and user.active else None


def close_session(session: Session, token: str) -> None:
    session.exec(delete(LoginSession).where(LoginSession.id == token_digest(token)))


def close_all_sessions(session: Session, user_id: int) -> None:
    session.exec(delete(LoginSession).where(LoginSession.user_id == user_id))


def purge_expired(session: Session) -> None:
    session.exec(delete(LoginSession).where(LoginSession.expires_at <= utcnow()))


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored moment is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
