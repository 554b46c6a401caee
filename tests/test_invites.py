"""Invitation links: what the GET shows, what the POST binds, and which tokens are refused."""

from datetime import timedelta

from django.utils import timezone

from feedback.models import Participant, Response, hash_token


def test_invite_get_shows_confirmation_and_changes_nothing(client, alice):
    response = client.get(f"/i/{alice.token}/")

    assert response.status_code == 200
    assert "Alice Martin" in response.content.decode()
    assert "Continue to the consultation" in response.content.decode()
    alice.refresh_from_db()
    assert alice.first_opened_at is None
    assert not Response.objects.filter(participant=alice).exists()
    assert "feedback_participants" not in client.session


def test_invite_pages_never_send_the_token_on_as_a_referer(client, alice):
    # strict-origin: the Referer carries the origin only; the browser still sends a real Origin with the POST.
    assert client.get(f"/i/{alice.token}/")["Referrer-Policy"] == "strict-origin"
    assert client.post(f"/i/{alice.token}/")["Referrer-Policy"] == "strict-origin"


def test_confirming_works_with_csrf_checks_and_the_browser_origin(alice):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    page = browser.get(f"/i/{alice.token}/")
    token = page.context["csrf_token"]
    response = browser.post(
        f"/i/{alice.token}/", {"csrfmiddlewaretoken": str(token)}, HTTP_ORIGIN="http://testserver"
    )
    assert response.status_code == 302


def test_confirming_binds_the_session_and_redirects_to_a_url_without_the_token(client, alice):
    response = client.post(f"/i/{alice.token}/")

    assert response.status_code == 302
    assert response["Location"] == "/c/tech-providers/"
    assert alice.token not in response["Location"]
    alice.refresh_from_db()
    assert alice.first_opened_at is not None
    assert Response.objects.get(participant=alice).status == Response.Status.DRAFT
    assert client.get("/c/tech-providers/").status_code == 200


def test_confirming_rotates_the_session_key(client, alice):
    client.get("/")
    client.session.save()
    before = client.session.session_key
    client.post(f"/i/{alice.token}/")
    assert client.session.session_key != before


def test_a_participant_without_a_profile_is_sent_to_the_profile_first(client, consultation):
    participant = Participant(consultation=consultation, name="New Person", email="new@example.org")
    token = participant.issue_token()
    participant.save()

    response = client.post(f"/i/{token}/")

    assert response["Location"] == "/c/tech-providers/profile/"


def test_only_the_hash_of_the_token_is_stored(alice):
    assert alice.token_hash == hash_token(alice.token)
    assert alice.token not in str(Participant.objects.filter(pk=alice.pk).values().get())
    assert len(alice.token) >= 43  # 32 random bytes, URL-safe base64


def test_unknown_token_is_not_found(client, alice):
    assert client.get("/i/not-a-real-token/").status_code == 404
    assert client.post("/i/not-a-real-token/").status_code == 404


def test_revoked_invitation_is_not_found(client, alice):
    alice.is_revoked = True
    alice.save()

    assert client.get(f"/i/{alice.token}/").status_code == 404
    assert client.post(f"/i/{alice.token}/").status_code == 404


def test_expired_invitation_is_not_found(client, alice):
    alice.invite_expires_at = timezone.now() - timedelta(minutes=1)
    alice.save()

    assert client.get(f"/i/{alice.token}/").status_code == 404


def test_revoking_ends_a_session_that_was_already_bound(alice_client, alice):
    alice.is_revoked = True
    alice.save()

    assert alice_client.get("/c/tech-providers/").status_code == 404


def test_coming_back_through_the_same_link_keeps_the_answers(client, alice, questions):
    client.post(f"/i/{alice.token}/")
    client.post("/c/tech-providers/questions/", {"q1": "My first thoughts", "q2": ""})
    client.post("/c/tech-providers/sign-out/")
    assert client.get("/c/tech-providers/questions/").status_code == 404

    client.post(f"/i/{alice.token}/")
    page = client.get("/c/tech-providers/questions/").content.decode()

    assert "My first thoughts" in page


def test_sending_a_new_link_after_expiry_gives_a_link_that_works(client, alice):
    from feedback.organising import invitations

    alice.invite_expires_at = timezone.now() - timedelta(days=1)
    alice.save()

    url = invitations.issue_invite(participant=alice)

    assert client.get(url.replace("http://testserver", "")).status_code == 200
    assert client.get(f"/i/{alice.token}/").status_code == 404


def test_expiry_ends_a_session_that_was_already_bound(alice_client, alice):
    alice.invite_expires_at = timezone.now() - timedelta(minutes=1)
    alice.save()

    assert alice_client.get("/c/tech-providers/").status_code == 404
    assert alice_client.post("/c/tech-providers/autosave/", {"field": "q1", "q1": "x"}).status_code == 404


def test_the_token_never_reaches_a_log(client, alice, caplog, settings):
    import logging

    from django.test import override_settings

    caplog.set_level(logging.DEBUG)
    client.get(f"/i/{alice.token}/")
    client.post(f"/i/{alice.token}/")
    client.get("/c/tech-providers/")
    # A revoked link's 404 and a rate-limited request are logged with their path by Django.
    alice.is_revoked = True
    alice.save()
    client.get(f"/i/{alice.token}/")
    with override_settings(RATE_LIMITS={"invite": {"ip": "0/m"}}):
        assert client.get(f"/i/{alice.token}/").status_code == 429

    logged = [record.getMessage() for record in caplog.records]
    assert any("/i/[token]" in line for line in logged)
    assert not [line for line in logged if alice.token in line]
    assert not [record for record in caplog.records if alice.token in str(record.__dict__.get("args"))]


def test_the_token_is_not_in_any_url_after_the_first_request(client, alice, questions):
    confirmed = client.post(f"/i/{alice.token}/", follow=True)

    assert all(alice.token not in url for url, _status in confirmed.redirect_chain)
    assert alice.token not in confirmed.content.decode()
