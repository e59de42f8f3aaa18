"""GET /healthz: 200 when PostgreSQL and Redis respond, else 503 naming the one down."""

from __future__ import annotations

from admin_factories import closed_port


def test_healthz_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "checks": {"postgresql": "ok", "redis": "ok"},
    }


def test_healthz_with_redis_down_is_503(make_app):
    client = make_app(REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0").test_client()

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["message"] == "Redis unreachable."
    assert body["checks"] == {"postgresql": "ok", "redis": "unreachable"}


def test_healthz_with_postgresql_down_is_503(make_app):
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/test"
    client = make_app(DATABASE_URL=url).test_client()

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["message"] == "PostgreSQL unreachable."
    assert body["checks"] == {"postgresql": "unreachable", "redis": "ok"}


def test_healthz_with_both_down_names_both(make_app):
    client = make_app(
        DATABASE_URL=f"postgresql://postgres@127.0.0.1:{closed_port()}/test",
        REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0",
    ).test_client()

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["message"] == "PostgreSQL and Redis unreachable."


def test_healthz_hides_connection_details(make_app):
    port = closed_port()
    client = make_app(
        DATABASE_URL=f"postgresql://postgres:hunter2@127.0.0.1:{port}/x"
    ).test_client()

    text = client.get("/healthz").get_data(as_text=True)

    assert "hunter2" not in text
    assert str(port) not in text


def test_healthz_logs_the_failure(make_app, caplog):
    client = make_app(REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0").test_client()

    client.get("/healthz")

    assert any("Redis unreachable" in record.getMessage() for record in caplog.records)


def test_admin_api_with_postgresql_down_is_503(make_app, admin_headers):
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/test"
    client = make_app(DATABASE_URL=url).test_client()

    response = client.get("/api/admin/reconciliation/status", headers=admin_headers)

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"
