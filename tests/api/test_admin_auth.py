"""JWT authentication and the admin role on every admin endpoint."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from admin_factories import SECRET, bearer
from flask_jwt_extended import create_access_token, create_refresh_token

from app.tokens import mint_token

STATUS_URL = "/api/admin/reconciliation/status"

ADMIN_ENDPOINTS = [
    ("GET", "/api/admin/reconciliation/status"),
    ("GET", "/api/admin/reconciliation/runs"),
    ("POST", "/api/admin/reconciliation/run"),
    ("GET", "/api/admin/pin-jobs"),
    ("GET", "/api/admin/dashboard"),
]


def pyjwt_token(claims: dict, secret: str = SECRET, algorithm: str = "HS256") -> str:
    """Sign claims with PyJWT directly, as another service or library would."""
    base = {"exp": datetime.now(UTC) + timedelta(minutes=5)}
    return jwt.encode({**base, **claims}, secret, algorithm=algorithm)


def unsigned_token(claims: dict) -> str:
    """Build an `alg: none` token by hand: header and payload with an empty signature."""

    def encode(part: dict) -> str:
        raw = json.dumps(part).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{encode({'alg': 'none', 'typ': 'JWT'})}.{encode(claims)}."


def assert_json_401(response, code: str | None = None) -> None:
    assert response.status_code == 401
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    if code is not None:
        assert body["error"]["code"] == code


def test_missing_header_is_401(client):
    assert_json_401(client.get(STATUS_URL), "missing_token")


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Token abc.def.ghi", "bearer", "Bearer", "Bearer  ", "JWT x.y.z"],
)
def test_wrong_scheme_is_401(client, header):
    assert_json_401(client.get(STATUS_URL, headers={"Authorization": header}))


@pytest.mark.parametrize(
    "token",
    ["abc", "a.b", "a.b.c", "not a token at all", "eyJhbGciOiJIUzI1NiJ9.e30", "Bearer x y z"],
)
def test_malformed_token_is_401(client, token):
    assert_json_401(client.get(STATUS_URL, headers=bearer(token)), "invalid_token")


def test_two_tokens_in_header_is_401(client):
    token = mint_token("ops", "admin", timedelta(hours=1), SECRET)
    response = client.get(STATUS_URL, headers={"Authorization": f"Bearer {token} {token}"})
    assert_json_401(response, "invalid_token")


def test_bad_signature_is_401(client):
    token = mint_token(
        "ops", "admin", timedelta(hours=1), "another-secret-of-another-service-0123456789"
    )
    assert_json_401(client.get(STATUS_URL, headers=bearer(token)), "invalid_token")


def test_alg_none_is_401(client):
    token = unsigned_token({"sub": "ops", "role": "admin", "type": "access"})
    assert_json_401(client.get(STATUS_URL, headers=bearer(token)), "invalid_token")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_other_hmac_algorithm_is_401(client):
    token = pyjwt_token({"sub": "ops", "role": "admin"}, algorithm="HS512")
    assert_json_401(client.get(STATUS_URL, headers=bearer(token)), "invalid_token")


def test_expired_token_is_401(client):
    past = datetime.now(UTC) - timedelta(hours=2)
    token = mint_token("ops", "admin", timedelta(hours=1), SECRET, now=past)
    assert_json_401(client.get(STATUS_URL, headers=bearer(token)), "token_expired")


def test_token_not_yet_valid_is_401(client):
    future = datetime.now(UTC) + timedelta(hours=1)
    token = mint_token("ops", "admin", timedelta(hours=1), SECRET, now=future)
    assert_json_401(client.get(STATUS_URL, headers=bearer(token)), "invalid_token")


def test_refresh_token_is_401(app, client):
    with app.app_context():
        token = create_refresh_token("ops", additional_claims={"role": "admin"})
    assert_json_401(client.get(STATUS_URL, headers=bearer(token)), "invalid_token")


def test_token_type_other_than_access_is_401(client):
    token = pyjwt_token({"sub": "ops", "role": "admin", "type": "id"})
    assert_json_401(client.get(STATUS_URL, headers=bearer(token)), "invalid_token")


def test_token_without_sub_is_401(client):
    token = pyjwt_token({"role": "admin"})
    assert_json_401(client.get(STATUS_URL, headers=bearer(token)), "invalid_token")


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "ops"},
        {"sub": "ops", "role": "viewer"},
        {"sub": "ops", "role": "Admin"},
        {"sub": "ops", "roles": ["viewer", "support"]},
        {"sub": "ops", "roles": "admin"},
        {"sub": "ops", "role": ["admin"]},
    ],
)
def test_valid_token_without_admin_role_is_403(client, claims):
    response = client.get(STATUS_URL, headers=bearer(pyjwt_token(claims)))

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "ops", "role": "admin"},
        {"sub": "ops", "roles": ["viewer", "admin"]},
        {"sub": 42, "role": "admin"},
        {"sub": "ops", "role": "admin", "type": "access", "fresh": False, "jti": "x"},
    ],
)
def test_admin_claims_from_pyjwt_are_accepted(client, claims):
    response = client.get(STATUS_URL, headers=bearer(pyjwt_token(claims)))

    assert response.status_code == 200, response.get_json()


def test_numeric_sub_is_accepted(client):
    token = pyjwt_token({"sub": 1234, "role": "admin"})

    assert client.get(STATUS_URL, headers=bearer(token)).status_code == 200


def test_flask_jwt_extended_token_is_accepted(app, client):
    with app.app_context():
        token = create_access_token("ops", additional_claims={"roles": ["admin"]})

    assert client.get(STATUS_URL, headers=bearer(token)).status_code == 200


def test_minted_token_is_accepted(client):
    token = mint_token("ops@example.com", "admin", timedelta(minutes=5), SECRET)

    assert client.get(STATUS_URL, headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(("method", "url"), ADMIN_ENDPOINTS)
def test_every_admin_endpoint_needs_a_token(client, stub_broker, method, url):
    assert_json_401(client.open(url, method=method), "missing_token")


@pytest.mark.parametrize(("method", "url"), ADMIN_ENDPOINTS)
def test_every_admin_endpoint_rejects_bad_signature(client, stub_broker, method, url):
    token = pyjwt_token(
        {"sub": "ops", "role": "admin"}, secret="wrong-secret-of-another-service-0123456789"
    )
    assert_json_401(client.open(url, method=method, headers=bearer(token)), "invalid_token")


@pytest.mark.parametrize(("method", "url"), ADMIN_ENDPOINTS)
def test_every_admin_endpoint_needs_the_admin_role(client, stub_broker, method, url):
    token = mint_token("guest", "viewer", timedelta(minutes=5), SECRET)
    response = client.open(url, method=method, headers=bearer(token))

    assert response.status_code == 403
    assert response.is_json
    assert stub_broker.queues.get("reconcile") is None or stub_broker.queues["reconcile"].empty()


def test_healthz_and_page_need_no_token(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/admin").status_code == 200
