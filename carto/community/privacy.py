"""A contributor's right to erasure: remove their personal data, keep the moderated history.

``purge`` finds every proposal made with an e-mail address and removes what identifies its author:
the name and e-mail, the follow-up link (its token can no longer open the page), and the name or
e-mail where the author repeated them in the message to moderators. The mails addressed to them
(queued or sent, and their ``.eml`` copies in the outbox) are deleted. What moderators decided and
the history of the sites stay as they were: proposal kind, status, changes, decision, who decided,
when, and every ``SiteVersion`` (whose actor is ``contribution:<id>``, never a person).
No IP address is stored (rate limits live in memory), so there is none to remove.

On SQLite the erased values must not linger in the file either: the purge runs with
``secure_delete`` (freed content is overwritten with zeros) and then empties the write-ahead log,
which still holds the pages as they were before. (On PostgreSQL old row versions stay until
``VACUUM``; run it after a purge.)
"""
import re
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path

from sqlmodel import Session, delete, select

from carto.community import auth, mail
from carto.directory.service import Service
from carto.storage.db import is_sqlite
from carto.storage.models import Contribution, OutgoingMail
from carto.community.users import normalise_email

REMOVED = "[donnée supprimée]"


@dataclass
class Purged:
    contributions: int = 0
    mails: int = 0
    outbox_files: int = 0


def purge(service: Service, email: str) -> Purged:
    """Erase the personal data of the contributor ``email`` (``carto.community.users.UserError`` if invalid)."""
    email = normalise_email(email)
    with service.engine.connect() as conn:
        sqlite = is_sqlite(service.engine)
        if sqlite:
            conn.exec_driver_sql("PRAGMA secure_delete=ON")
            conn.commit()
        with Session(bind=conn) as session:  # one transaction: all of it, or nothing
            done = purge_contributions(session, email)
            session.commit()
        if sqlite:
            conn.exec_driver_sql("PRAGMA secure_delete=OFF")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    done.outbox_files = purge_outbox(mail.outbox_dir(service.settings), email)
    return done


def purge_contributions(session: Session, email: str) -> Purged:
    """In the caller's transaction: the proposals and the queued or sent mails of ``email``."""
    found = session.exec(select(Contribution).where(Contribution.contributor_email == email)).all()
    for c in found:
        c.comment = _scrub(c.comment, [email, c.contributor_name])
        c.contributor_name, c.contributor_email = "", None
        c.token_hash = auth.token_digest(auth.new_token())  # a token nobody holds: the old link is dead
        session.add(c)
    mails = session.exec(delete(OutgoingMail).where(OutgoingMail.to == email)).rowcount
    return Purged(contributions=len(found), mails=mails)


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in (s for s in secrets if s and len(s.strip()) >= 2):
        text = re.sub(re.escape(secret.strip()), REMOVED, text, flags=re.IGNORECASE)
    return text


def purge_outbox(directory: Path, email: str) -> int:
    """Delete the ``.eml`` files of the outbox addressed to ``email``."""
    if not directory.is_dir():
        return 0
    removed = 0
    for path in directory.glob("*.eml"):
        with path.open("rb") as f:
            headers = BytesHeaderParser().parse(f)
        if email in {address.lower() for _name, address in getaddresses(headers.get_all("To", []))}:
            path.unlink()
            removed += 1
    return removed
