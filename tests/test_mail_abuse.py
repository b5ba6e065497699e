"""The contribution forms cannot be used to mail strangers: a daily cap per recipient, and nothing
the visitor typed in a subject or a greeting."""
from email import message_from_bytes, policy

from sqlmodel import func, select

from carto.community import mail
from carto.storage.models import Contribution
from tests.helpers import csrf_of, make_client

RENNES = (-1.6778, 48.1173)
VICTIM = "victime@exemple.org"


def outbox(service) -> list:
    mail.deliver_pending(service.engine, service.settings)
    return [message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(mail.outbox_dir(service.settings).glob("*.eml"))]


def propose(client, n: int, **fields):
    token = csrf_of(client.get("/proposer").text)
    return client.post("/proposer", follow_redirects=False, data={
        "csrf_token": token, "name": f"GAGNEZ 1000 € sur http://arnaque.example/{n}", "activities": ["velo"],
        "lon": str(RENNES[0] + 0.004 * n), "lat": str(RENNES[1]), "not_duplicate": "1",
        "contributor_name": "Cliquez ici : http://arnaque.example", "contributor_email": VICTIM, "consent": "1",
        **fields})


def test_one_address_gets_at_most_its_daily_mails_whatever_is_proposed(demo_service):
    cap = demo_service.settings.mails_per_recipient_per_day
    codes = []
    for n in range(cap + 3):  # from several addresses: the submission limit is not what stops it
        with make_client(demo_service, address=f"203.0.113.{n}") as client:
            codes.append(propose(client, n).status_code)
    assert codes == [303] * (cap + 3)  # every contribution is recorded…
    with demo_service.session() as session:
        assert session.exec(select(func.count()).select_from(Contribution)).one() == cap + 3
    mails = [m for m in outbox(demo_service) if m["To"] == VICTIM]
    assert len(mails) == cap  # …but the recipient gets its cap of mails


def test_acknowledgements_carry_no_visitor_text_in_subject_or_greeting(demo_service):
    with make_client(demo_service) as client:
        assert propose(client, 1).status_code == 303
    [ack] = [m for m in outbox(demo_service) if m["To"] == VICTIM]
    assert ack["Subject"] == "Carto ESS : votre proposition de nouveau site est bien reçue"
    body = ack.get_content()
    assert body.startswith("Bonjour,\n") and "Cliquez ici" not in body
    assert "Vous n'avez rien envoyé ?" in body and "/suivi/" in body
