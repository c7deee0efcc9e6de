"""Settings: the file, the environment, and their errors."""

from pathlib import Path

import pytest

from store.errors import InvalidInput
from store.settings import load_settings


def write_settings(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    return {"MAILROOM_SETTINGS": str(path)}


def test_defaults_without_file(tmp_path: Path) -> None:
    settings = load_settings({"MAILROOM_SETTINGS": str(tmp_path / "missing.toml")})

    assert settings.database_url is None
    assert settings.smtp.port == 25
    assert settings.dns.nameservers == ()


def test_environment_overrides_file(tmp_path: Path) -> None:
    environ = write_settings(
        tmp_path, "[dns]\nport = 53\nnameservers = ['192.0.2.1']\n"
    )
    environ["MAILROOM_DNS_PORT"] = "5353"

    settings = load_settings(environ)

    assert settings.dns.port == 5353
    assert settings.dns.nameservers == ("192.0.2.1",)


def test_database_url_from_environment_beats_file(tmp_path: Path) -> None:
    environ = write_settings(tmp_path, "[database]\nurl = 'sqlite:///file.db'\n")
    environ["MAILROOM_DATABASE_URL"] = "sqlite:///env.db"

    assert load_settings(environ).database_url == "sqlite:///env.db"


def test_bad_number_names_variable_and_value(tmp_path: Path) -> None:
    environ = {"MAILROOM_SETTINGS": str(tmp_path / "none"), "MAILROOM_DNS_PORT": "abc"}

    with pytest.raises(InvalidInput, match="MAILROOM_DNS_PORT: 'abc'"):
        load_settings(environ)


def test_invalid_toml_names_file(tmp_path: Path) -> None:
    environ = write_settings(tmp_path, "[dns\nport = 1\n")

    with pytest.raises(InvalidInput, match="is not valid TOML"):
        load_settings(environ)


def test_password_in_file_is_rejected(tmp_path: Path) -> None:
    environ = write_settings(tmp_path, "[smtp]\nusername = 'u'\npassword = 'hunter2'\n")

    with pytest.raises(InvalidInput) as caught:
        load_settings(environ)

    assert "MAILROOM_SMTP_PASSWORD" in caught.value.message
    assert "hunter2" not in caught.value.message


def test_password_from_environment(tmp_path: Path) -> None:
    environ = {
        "MAILROOM_SETTINGS": str(tmp_path / "none"),
        "MAILROOM_SMTP_PASSWORD": "s3",
    }

    assert load_settings(environ).smtp.password == "s3"
