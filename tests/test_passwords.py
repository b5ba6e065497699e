"""Account passwords: twelve characters at least, and none of the most common ones."""
import pytest

from carto.community import passwords, users
from tests.helpers import csrf_of


@pytest.mark.parametrize("password", ["azertyuiop", "motdepasse12", "azertyuiop2024!", "Jetaime123456", "1qaz2wsx3edc",
                                      "PASSWORD1234", "123456789012", "  marseille13  "])
def test_common_passwords_and_their_wrappings_are_refused(password):
    assert passwords.problem(password) is not None


@pytest.mark.parametrize("password", ["vélo cargo du marché", "mot-de-passe-de-test", "Kerlouan-goémon-1987"])
def test_long_uncommon_passwords_are_accepted(password):
    assert passwords.problem(password) is None


def test_the_shipped_list_is_read_whole():
    assert len(passwords.common()) == 30_000 and "azerty" in passwords.common()


def test_the_accounts_page_says_why_a_password_is_refused(client, demo_service, moderation_accounts, sign_in):
    csrf = sign_in(client, moderation_accounts["admin"])
    for password, message in (("court", "de 12 à 200 caractères"), ("soleil2024!!", "plus courants")):
        response = client.post("/moderation/comptes", data={"csrf_token": csrf, "email": "nouveau@pole.example",
                                                             "password": password, "role": "moderator"})
        assert response.status_code == 422 and message in response.text
    with demo_service.session() as session:
        assert users.by_email(session, "nouveau@pole.example") is None
