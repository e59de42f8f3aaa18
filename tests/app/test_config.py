import pytest

from app.config import SECRET_VARIABLES, VARIABLES, Settings, load_settings
from app.errors import ConfigurationError

SECRETS = {
    "STAYS_CLIENT_SECRET": "client-secret-7d1f",
    "JWT_SECRET_KEY": "jwt-key-93ac",
    "DATABASE_URL": "postgresql://app:db-password-5e2b@127.0.0.1:5432/stays",
    "REDIS_URL": "redis://:redis-password-0c4a@127.0.0.1:6379/0",
}

INVALID_VALUES = [
    ("RECONCILE_LOOKBACK_DAYS", "seven"),
    ("RECONCILE_LOOKBACK_DAYS", "7.5"),
    ("RECONCILE_LOOKBACK_DAYS", "-1"),
    ("RECONCILE_LOOKBACK_DAYS", "3651"),
    ("RECONCILE_HORIZON_DAYS", "0"),
    ("RECONCILE_STALE_MINUTES", "0"),
    ("RECONCILE_COLLECT_TIMEOUT_MINUTES", "1441"),
    ("STAYS_CONNECT_TIMEOUT_SECONDS", "0"),
    ("STAYS_READ_TIMEOUT_SECONDS", "601"),
    ("STAYS_MAX_ATTEMPTS", "21"),
    ("PIN_LEAD_MINUTES", "soon"),
    ("PIN_REVOKE_AFTER_MINUTES", "43201"),
    ("PIN_DISPATCH_HORIZON_MINUTES", "0"),
    ("PIN_LENGTH", "3"),
    ("PIN_LENGTH", "13"),
    ("RECONCILE_CRON", "every half hour"),
    ("RECONCILE_CRON", "*/30 * * *"),
    ("RECONCILE_CRON", "0 */30 * * * *"),
    ("RECONCILE_CRON", "61 * * * *"),
    ("RECONCILE_CRON", "0 0 L * *"),
    ("DEFAULT_TIMEZONE", "Mars/Olympus_Mons"),
    ("DEFAULT_TIMEZONE", "america/sao_paulo"),
    ("DEFAULT_TIMEZONE", "America"),
    ("DEFAULT_TIMEZONE", "../etc/passwd"),
    ("STAYS_API_URL", "ftp://account.stays.net/external/v1"),
    ("STAYS_API_URL", "account.stays.net/external/v1"),
    ("LOCK_PROVIDER", "nuki"),
    ("LOCK_PROVIDER", "Database"),
]

INVALID_SECRETS = [
    ("DATABASE_URL", "mysql://app:db-password-5e2b@127.0.0.1/stays"),
    ("DATABASE_URL", "app:db-password-5e2b@127.0.0.1/stays"),
    ("REDIS_URL", "http://:redis-password-0c4a@127.0.0.1:6379/0"),
]


def raise_for(name: str, value: str) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as caught:
        load_settings({**SECRETS, name: value})
    return caught.value


def test_settings_defaults():
    settings = load_settings({})

    assert settings.RECONCILE_LOOKBACK_DAYS == 7
    assert settings.RECONCILE_HORIZON_DAYS == 365
    assert settings.RECONCILE_CRON == "*/30 * * * *"
    assert settings.RECONCILE_STALE_MINUTES == 60
    assert settings.RECONCILE_COLLECT_TIMEOUT_MINUTES == 10
    assert settings.STAYS_CONNECT_TIMEOUT_SECONDS == 5
    assert settings.STAYS_READ_TIMEOUT_SECONDS == 30
    assert settings.STAYS_MAX_ATTEMPTS == 5
    assert settings.STAYS_API_URL == "http://127.0.0.1:8081/external/v1"
    assert settings.STAYS_CLIENT_ID == ""
    assert settings.STAYS_CLIENT_SECRET == ""
    assert settings.JWT_SECRET_KEY == ""
    assert settings.DEFAULT_TIMEZONE == "America/Sao_Paulo"
    assert settings.PIN_LEAD_MINUTES == 120
    assert settings.PIN_REVOKE_AFTER_MINUTES == 1440
    assert settings.PIN_DISPATCH_HORIZON_MINUTES == 15
    assert settings.PIN_LENGTH == 6
    assert settings.LOCK_PROVIDER == "database"


def test_settings_table_matches_dataclass():
    names = [name for name, _parse, _default, _description in VARIABLES]

    assert sorted(names) == sorted(Settings.__dataclass_fields__)
    assert len(names) == len(set(names))


def test_valid_values_are_parsed():
    settings = load_settings(
        {
            "RECONCILE_LOOKBACK_DAYS": " 0 ",
            "RECONCILE_HORIZON_DAYS": "3650",
            "RECONCILE_CRON": "  0   3 * *  MON ",
            "DEFAULT_TIMEZONE": "Europe/Lisbon",
            "STAYS_API_URL": "https://acme.stays.com.br/external/v1/",
            "REDIS_URL": "unix:///run/redis.sock",
        }
    )

    assert settings.RECONCILE_LOOKBACK_DAYS == 0
    assert settings.RECONCILE_HORIZON_DAYS == 3650
    assert settings.RECONCILE_CRON == "0 3 * * MON"
    assert settings.DEFAULT_TIMEZONE == "Europe/Lisbon"
    assert settings.STAYS_API_URL == "https://acme.stays.com.br/external/v1"
    assert settings.REDIS_URL == "unix:///run/redis.sock"


def test_blank_value_takes_default():
    settings = load_settings({"RECONCILE_HORIZON_DAYS": "  ", "RECONCILE_CRON": ""})

    assert settings.RECONCILE_HORIZON_DAYS == 365
    assert settings.RECONCILE_CRON == "*/30 * * * *"


@pytest.mark.parametrize(("name", "value"), INVALID_VALUES)
def test_invalid_value_is_rejected(name, value):
    message = str(raise_for(name, value))

    assert name in message
    assert repr(value) in message


@pytest.mark.parametrize(("name", "value"), INVALID_VALUES)
def test_invalid_value_hides_secrets(name, value):
    error = raise_for(name, value)

    for secret in SECRETS.values():
        assert secret not in str(error)
        assert secret not in str(error.__context__)


@pytest.mark.parametrize(("name", "value"), INVALID_SECRETS)
def test_invalid_secret_is_hidden(name, value):
    assert name in SECRET_VARIABLES
    error = raise_for(name, value)
    message = str(error)

    assert name in message
    assert "(hidden)" in message
    assert value not in message
    assert "password" not in message
    assert "password" not in str(error.__context__)


def test_invalid_url_names_schemes():
    message = str(raise_for("DATABASE_URL", "mysql://127.0.0.1/stays"))

    assert "postgres://" in message
    assert "postgresql://" in message


def test_out_of_range_names_bounds():
    message = str(raise_for("PIN_LENGTH", "3"))

    assert "between 4 and 12" in message
