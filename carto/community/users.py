"""Moderator and administrator accounts, and what each may see and decide (its scope).

Scope is a permission, not a display filter: an administrator may act on every site; a moderator
only on sites in one of its pôles' coverage areas (the site's commune is covered) and/or with an
activity of one of its domains. When a moderator has both pôles and domains, a site must match
both; a moderator with neither may act on nothing.
"""
import re
from dataclasses import dataclass

from sqlalchemy import false
from sqlmodel import Session, col, delete, select

from carto.community import auth, passwords
from carto.storage.models import Pole, PoleCommune, Site, SiteActivity, User, UserDomain, UserPole, UserRole
from carto.core.taxonomy import Taxonomy

MAX_PASSWORD_LENGTH = passwords.MAX_LENGTH
_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")


class UserError(ValueError):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    poles: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()

    def site_conditions(self, taxonomy: Taxonomy) -> list:
        """SQL conditions on Site selecting the sites this scope may see and decide."""
        if self.everything:
            return []
        if not (self.poles or self.domains):
            return [false()]
        where = []
        if self.poles:
            where.append(col(Site.commune_code).in_(
                select(PoleCommune.commune_code).where(col(PoleCommune.pole_id).in_(self.poles))))
        if self.domains:
            activities = [a.slug for d in taxonomy.domains if d.slug in self.domains for a in d.activities]
            where.append(col(Site.id).in_(
                select(SiteActivity.site_id).where(col(SiteActivity.activity).in_(activities))))
        return where

    def allows(self, session: Session, site_id: int | None, taxonomy: Taxonomy) -> bool:
        if self.everything:
            return True
        if site_id is None:
            return False
        found = session.exec(select(Site.id).where(Site.id == site_id, *self.site_conditions(taxonomy)))
        return found.first() is not None


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise UserError("adresse e-mail invalide", "email")
    return email


def check_password(password: str) -> str:
    if message := passwords.problem(password):
        raise UserError(message, "password")
    return password


def by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == (email or "").strip().lower())).first()


def create(session: Session, taxonomy: Taxonomy, email: str, password: str, *, role: UserRole,
           name: str = "", poles: list[str] = (), domains: list[str] = ()) -> User:
    email = normalise_email(email)
    if by_email(session, email) is not None:
        raise UserError(f"un compte existe déjà pour {email}", "email")
    if len(name) > 120:
        raise UserError("nom trop long (120 caractères au plus)", "name")
    user = User(email=email, name=name.strip(), role=UserRole(role),
                password_hash=auth.hash_password(check_password(password)))
    session.add(user)
    session.flush()
    set_scope(session, taxonomy, user, poles, domains)
    return user


def set_scope(session: Session, taxonomy: Taxonomy, user: User, poles: list[str], domains: list[str]) -> None:
    known_poles = set(session.exec(select(Pole.id)))
    for pole in poles:
        if pole not in known_poles:
            raise UserError(f"pôle inconnu : « {pole} »", "poles")
    known_domains = {d.slug for d in taxonomy.domains}
    for domain in domains:
        if domain not in known_domains:
            raise UserError(f"domaine inconnu : « {domain} »", "domains")
    session.exec(delete(UserPole).where(UserPole.user_id == user.id))
    session.exec(delete(UserDomain).where(UserDomain.user_id == user.id))
    session.add_all([UserPole(user_id=user.id, pole_id=p) for p in sorted(set(poles))]
                    + [UserDomain(user_id=user.id, domain=d) for d in sorted(set(domains))])
    session.flush()


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = auth.hash_password(check_password(password))
    session.add(user)
    auth.close_all_sessions(session, user.id)


def set_active(session: Session, user: User, active: bool) -> None:
    user.active = active
    session.add(user)
    if not active:
        auth.close_all_sessions(session, user.id)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active account with this e-mail and password, or None (same time either way)."""
    user = by_email(session, email)
    if user is None or not user.active:
        auth.waste_a_verification(password or "")
        return None
    if not auth.verify_password(user.password_hash, password or ""):
        return None
    if auth.needs_rehash(user.password_hash):
        user.password_hash = auth.hash_password(password)
        session.add(user)
    return user


def poles_of(session: Session, user_id: int) -> list[str]:
    return list(session.exec(select(UserPole.pole_id).where(UserPole.user_id == user_id).order_by(UserPole.pole_id)))


def domains_of(session: Session, user_id: int) -> list[str]:
    return list(session.exec(select(UserDomain.domain).where(UserDomain.user_id == user_id)
                             .order_by(UserDomain.domain)))


def scope_of(session: Session, user: User) -> Scope:
    if user.role == UserRole.admin:
        return Scope(everything=True)
    return Scope(poles=frozenset(poles_of(session, user.id)), domains=frozenset(domains_of(session, user.id)))


def display_name(user: User | None) -> str:
    if user is None:
        return "un compte supprimé"
    return user.name or user.email
