"""« En cours d'examen »: opening a proposal marks it as being reviewed by that moderator for ten
minutes (GoGoCarto locks for ten minutes too). Others see who and since when, in the queues and on
the page, and may take over after a warning. It is a warning, not a permission: a decision is never
refused because of it, and a lock nobody renews lapses, so nothing is blocked forever.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from carto.community import users
from carto.storage.models import ReviewLock, User, utcnow

LOCK_DURATION = timedelta(minutes=10)


@dataclass(frozen=True)
class Reviewer:
    user_id: int
    name: str
    since: datetime


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def reviewers(session: Session, contribution_ids: list[int], now: datetime | None = None) -> dict[int, Reviewer]:
    """Who is reviewing each of these proposals right now (locks not yet lapsed)."""
    if not contribution_ids:
        return {}
    cutoff = (now or utcnow()) - LOCK_DURATION
    rows = session.exec(select(ReviewLock, User).join(User, User.id == ReviewLock.user_id)
                        .where(col(ReviewLock.contribution_id).in_(contribution_ids),
                               ReviewLock.started_at > cutoff)).all()
    return {lock.contribution_id: Reviewer(user.id, users.display_name(user), _aware(lock.started_at))
            for lock, user in rows}


def open_item(session: Session, user: User, contribution_id: int, take_over: bool = False,
              now: datetime | None = None) -> Reviewer | None:
    """``user`` opens a proposal: marks it as reviewed by ``user`` (renewing its own mark), unless
    someone else's mark is live and ``take_over`` is not asked; then returns that other reviewer."""
    now = now or utcnow()
    other = reviewers(session, [contribution_id], now).get(contribution_id)
    if other is not None and other.user_id != user.id and not take_over:
        return other
    claimed = session.execute(update(ReviewLock).where(ReviewLock.contribution_id == contribution_id)
                              .values(user_id=user.id, started_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount == 0:
        try:
            with session.begin_nested():  # another moderator may insert the same mark at the same moment
                session.add(ReviewLock(contribution_id=contribution_id, user_id=user.id, started_at=now))
        except IntegrityError:
            return reviewers(session, [contribution_id], now).get(contribution_id)
    return None


def release(session: Session, contribution_id: int) -> None:
    """The proposal is decided: nobody is reviewing it any more."""
    session.execute(delete(ReviewLock).where(ReviewLock.contribution_id == contribution_id))
