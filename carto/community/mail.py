"""Outgoing mail: queued in the database with the change that causes it, then delivered.

``queue`` writes an ``OutgoingMail`` row in the caller's transaction, so a rolled-back decision
sends nothing and a committed one cannot lose its mail. ``deliver_pending`` sends queued rows by
SMTP (settings ``CARTO_SMTP_*``) or, without an SMTP host, writes them as ``.eml`` files to the
outbox directory. A failed delivery stays queued with its error, is logged, and is retried by the
next delivery run (``carto notify``).
"""
import logging
import smtplib
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from carto.storage.models import OutgoingMail, utcnow
from carto.core.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10


def outbox_dir(settings: Settings) -> Path:
    """Where mails go without SMTP: the setting, else beside the SQLite database, else data/outbox."""
    if settings.outbox_dir:
        return settings.outbox_dir
    url = settings.database_url
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        return Path(url.removeprefix("sqlite:///")).parent / "outbox"
    return PROJECT_ROOT / "data" / "outbox"


def _one_line(text: str, limit: int) -> str:
    # Header values: no line breaks (header injection), bounded length.
    return " ".join(text.split())[:limit]


def queue(session: Session, to: str, subject: str, body: str) -> OutgoingMail:
    mail = OutgoingMail(to=_one_line(to, 254), subject=_one_line(subject, 200), body=body)
    session.add(mail)
    return mail


def message(settings: Settings, mail: OutgoingMail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(mail.created_at)
    msg["Message-ID"] = make_msgid(idstring=f"carto-{mail.id}", domain="carto-ess.invalid")
    msg.set_content(mail.body)
    return msg


def send(settings: Settings, msg: EmailMessage, mail_id: int) -> None:
    if not settings.smtp_host:
        directory = outbox_dir(settings)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{utcnow():%Y%m%dT%H%M%S}-{mail_id:06d}.eml"
        path.write_bytes(msg.as_bytes())
        return
    smtp_class = smtplib.SMTP_SSL if settings.smtp_security == "ssl" else smtplib.SMTP
    with smtp_class(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(msg)


def deliver_pending(engine: Engine, settings: Settings, limit: int = 200) -> tuple[int, int]:
    """Send queued mails; returns (sent, failed). Each mail is claimed first: never sent twice."""
    sent = failed = 0
    with Session(engine) as session:
        ids = session.exec(select(OutgoingMail.id).where(col(OutgoingMail.sent_at).is_(None),
                                                         OutgoingMail.attempts < MAX_ATTEMPTS)
                           .order_by(OutgoingMail.id).limit(limit)).all()
    for mail_id in ids:
        with Session(engine) as session:
            claimed = session.execute(update(OutgoingMail).where(OutgoingMail.id == mail_id,
                                                                 col(OutgoingMail.sent_at).is_(None))
                                      .values(sent_at=utcnow(), attempts=OutgoingMail.attempts + 1))
            session.commit()
            if claimed.rowcount != 1:
                continue
            mail = session.get(OutgoingMail, mail_id)
            try:
                send(settings, message(settings, mail), mail_id)
                sent += 1
            except (OSError, smtplib.SMTPException) as e:
                log.error("mail %s to %s not delivered (attempt %s): %s", mail_id, mail.to, mail.attempts, e)
                mail.sent_at, mail.last_error = None, str(e)[:500]
                session.add(mail)
                session.commit()
                failed += 1
    return sent, failed


def undelivered(session: Session) -> list[OutgoingMail]:
    return list(session.exec(select(OutgoingMail).where(col(OutgoingMail.sent_at).is_(None))
                             .order_by(OutgoingMail.id)))
