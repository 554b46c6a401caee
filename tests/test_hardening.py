"""What an outside probe of production settings found (issue 18), each answered as it should be now: mail never
printed, formulas after a separator, tokens in gunicorn's error log, NUL characters, forwarded addresses, files
where none are expected, unsafe characters in names, case-blind emails, HEAD on health checks, cookies, Host."""

import csv
import io
import logging

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from gunicorn.config import Config

from consultation.access_log import AccessLogger
from feedback.exports.formats import export_text
from feedback.exports.shapes import Export
from feedback.models import Consultation, Participant
from tests.conftest import answer, make_participant, submit
from tests.test_input import PROFILE
from tests.test_invitations import confirm, payload_of, preview
from tests.test_limits import LOW, says_what_to_do
from tests.test_security_headers import production
from tests.test_url_walk import SITE_CASES, client_as, world  # noqa: F401  # world: the walk's fixture

FORMULA_SIGNS = ("=", "+", "-", "@")
ATTACKS = ["x;=1+1;y", "a,=HYPERLINK(1),b", "tab\t+cmd|' /C calc'!A0", 'quoted;"=WEBSERVICE(1)"', "x, -2+3"]


def cells_split_on(text: str, delimiter: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) for cell in row]


def assert_no_formula_whatever_the_separator(text: str) -> None:
    for delimiter in (",", ";", "\t"):
        for cell in cells_split_on(text, delimiter):
            assert not cell.lstrip(' \t\r\n"').startswith(FORMULA_SIGNS), (delimiter, cell)


# 2. Mail is never printed in production


def test_production_without_a_mail_server_fails_check_deploy():
    checked = production("manage.py", "check", "--deploy", EMAIL_HOST="")

    assert checked.returncode != 0
    assert "consultation.E001" in checked.stderr
    assert "invitation links must never be printed" in checked.stderr


def test_production_without_a_mail_server_refuses_to_send_rather_than_print():
    script = (
        "import django; django.setup()\n"
        "from django.core.mail import send_mail\n"
        "send_mail('Invitation', 'https://consult.example.org/i/SECRET-TOKEN/', 'a@example.org', ['b@example.org'])\n"
    )
    sent = production("-c", script, EMAIL_HOST="")

    assert sent.returncode != 0
    assert "No mail server" in sent.stderr
    assert "SECRET-TOKEN" not in sent.stdout + sent.stderr


# 3. Formulas after a separator


@pytest.mark.parametrize("profile", ["identified", "pseudonymised", "chatham-house"])
def test_no_export_cell_starts_a_formula_whether_split_on_comma_semicolon_or_tab(
    consultation, alice, bob, questions, profile
):
    for participant, text in ((alice, ATTACKS[0]), (bob, " ".join(ATTACKS))):
        answer(participant, questions[0], text)
        answer(participant, questions[1], ATTACKS[2])
        submit(participant)

    for shape in ("long", "wide"):
        text = "".join(export_text(Export.of(consultation, profile=profile, shape=shape), file_format="csv"))
        assert "1+1" in text
        assert_no_formula_whatever_the_separator(text)


def test_the_insights_and_resolution_csvs_are_safe_under_every_separator(
    olga_client, consultation, alice, questions, resource
):
    Participant.objects.filter(pk=alice.pk).update(attribution=Participant.Attribution.NAMED)
    answer(alice, questions[0], ATTACKS[0], status="approved")
    submit(alice)
    alice.response.comments.create(resource=resource, text=ATTACKS[1], status="approved")

    insights = olga_client.get(reverse("feedback:insights-csv", args=[consultation.slug])).content.decode()
    resolution = olga_client.get(
        reverse("feedback:resolution-csv", args=[consultation.slug, resource.pk])
    ).content.decode()

    assert "1+1" in insights and "HYPERLINK" in resolution
    assert_no_formula_whatever_the_separator(insights)
    assert_no_formula_whatever_the_separator(resolution)


# 4. Tokens in gunicorn's error log


def test_gunicorn_error_log_never_writes_an_invitation_token(capsys):
    config = Config()
    config.set("errorlog", "-")
    logger = AccessLogger(config)

    logger.error(
        "Invalid request from ip=127.0.0.1: %s",
        ValueError("Invalid HTTP request line: 'GET  /i/SeCrEt_ToKeN/ HTTP/1.1'"),
    )
    try:
        raise ValueError("GET  /i/SeCrEt_ToKeN/ HTTP/1.1")
    except ValueError:
        logger.exception("Error handling request /i/SeCrEt_ToKeN/")

    written = capsys.readouterr().err
    assert "Invalid request" in written and "/i/[token]" in written
    assert "SeCrEt_ToKeN" not in written


# 5. NUL and other control characters on staff pages


def test_a_nul_in_a_staff_query_gets_a_clear_400_not_a_500(olga_client):
    for query in ("question=%00", "theme=%00"):
        response = olga_client.get(f"/analysis/compare/?{query}")

        assert response.status_code == 400
        assert "cannot be stored (NUL)" in response.content.decode()


def test_control_characters_in_every_walked_get_parameter_never_give_a_500(world):  # noqa: F811
    olga = client_as(world, "olga")
    alice = client_as(world, "alice")
    failures = []
    for name, arguments, method, _expected in SITE_CASES:
        if method != "get":
            continue
        url = reverse(name, kwargs={key: world["values"][value] for key, value in arguments.items()})
        for client in (olga, alice):
            for character in ("%00", "%01", "%1b", "%e2%80%ae", "%7f"):
                query = f"q={character}&question={character}&theme={character}&page={character}&status={character}"
                status = client.get(f"{url}?{query}").status_code
                if status >= 500:
                    failures.append(f"{url}?{query}: {status}")
    assert not failures, "\n".join(failures)


def test_a_nul_in_a_posted_admin_form_field_is_refused_beside_the_field_and_nothing_is_saved(
    olga_client, consultation
):
    response = olga_client.post(
        f"/admin/feedback/consultation/{consultation.pk}/change/", {"title_en": "Renamed\x00"}
    )

    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode()
    assert Consultation.objects.get(pk=consultation.pk).title == consultation.title


def test_an_invitee_row_with_a_nul_is_imported_without_it_and_confirm_works(olga_client, consultation):
    page = preview(olga_client, consultation, "name,email\nNu\x00l Person,nul@example.org\n")
    assert page.status_code == 200

    assert confirm(olga_client, payload_of(page)).status_code == 302
    assert Participant.objects.get(email="nul@example.org").name == "Nul Person"


# 6. Forwarded addresses only from the named proxies


@override_settings(RATE_LIMITS=LOW, TRUSTED_PROXY_COUNT=1, FORWARDED_ALLOW_IPS=["10.0.0.2"])
def test_a_direct_client_cannot_escape_the_limit_with_its_own_forwarded_for(client, alice):
    for attempt in range(3):
        client.get("/i/guess/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}")

    says_what_to_do(client.get("/i/guess/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.99"))


@override_settings(RATE_LIMITS=LOW, TRUSTED_PROXY_COUNT=1, FORWARDED_ALLOW_IPS=["10.0.0.2"])
def test_through_the_named_proxy_each_client_is_counted_apart(client, alice):
    for _attempt in range(3):
        client.get("/i/guess/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1")

    says_what_to_do(client.get("/i/guess/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1"))
    assert (
        client.get("/i/guess/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code
        == 404
    )


# 7. File parts only where a file is expected


@pytest.mark.parametrize("path", ["/language", "/i/unknown-token/", "/admin/login/"])
def test_a_file_part_where_none_is_expected_is_refused_before_it_is_stored(db, tmp_path, path):
    # As in production: a stranger fetches a page for the CSRF cookie, and the CSRF check is the first to read
    # the body of the POST.
    client = Client(enforce_csrf_checks=True)
    client.get("/")
    with override_settings(FILE_UPLOAD_TEMP_DIR=str(tmp_path), FILE_UPLOAD_MAX_MEMORY_SIZE=0):
        response = client.post(
            path, {"language": "fr", "file": SimpleUploadedFile("big.bin", b"x" * 300_000)}
        )

    assert response.status_code == 400
    assert "Nothing from this request was saved" in response.content.decode()
    assert list(tmp_path.iterdir()) == []


def test_an_organiser_still_uploads_in_the_admin(olga_client, consultation):
    page = preview(olga_client, consultation, "name,email\nFile Person,file@example.org\n")

    assert page.status_code == 200
    assert "file@example.org" in page.content.decode()


# 8. Smaller points


def test_names_lose_right_to_left_overrides_and_terminal_escapes(alice_client, alice):
    response = alice_client.post(
        "/c/tech-providers/profile/",
        {**PROFILE, "name": "Alice \u202eexe.png\u202c Martin", "organisation": "Acme\x1b]0;pwned\x07 Ltd"},
    )
    assert response.status_code == 302

    alice.refresh_from_db()
    assert "\u202e" not in alice.name and "\x1b" not in alice.organisation
    assert alice.name == "Alice exe.png Martin"


def test_export_feedback_on_a_terminal_shows_escapes_instead_of_obeying_them(consultation, alice, questions):
    answer(alice, questions[0], "Look \x1b[2J here")
    submit(alice)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    call_command("export_feedback", consultation.slug, stdout=out)

    assert "\x1b" not in out.getvalue()
    assert "\\u001b[2J" in out.getvalue()


def test_an_email_differing_only_in_case_is_refused_in_the_admin(olga_client, consultation, alice):
    response = olga_client.post(
        "/admin/feedback/participant/add/",
        {"consultation": consultation.pk, "name": "Alice Again", "email": alice.email.upper()},
    )

    assert response.status_code == 200
    assert "already has a participant with this email address" in response.content.decode()
    assert Participant.objects.filter(email__iexact=alice.email).count() == 1


def test_the_database_refuses_an_email_differing_only_in_case(consultation, alice):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        make_participant(consultation, "Alice Again", alice.email.upper())


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_load_balancers_may_probe_health_with_head(client, db, path):
    response = client.head(path)

    assert response.status_code == 200


def test_messages_ride_in_the_session_not_a_cookie_of_their_own(alice_client, resource):
    response = alice_client.post("/c/tech-providers/sign-out/")

    assert response.status_code == 302
    assert "messages" not in response.cookies
    assert settings.MESSAGE_STORAGE.endswith("SessionStorage")


def test_a_bad_host_header_logs_one_line_not_a_traceback(client, db, caplog):
    with caplog.at_level(logging.WARNING, logger="django.security.DisallowedHost"):
        response = client.get("/", HTTP_HOST="evil.example.com")

    assert response.status_code == 400
    records = [record for record in caplog.records if record.name == "django.security.DisallowedHost"]
    assert records and all(record.exc_info is None and not record.exc_text for record in records)
