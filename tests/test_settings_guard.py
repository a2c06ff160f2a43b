"""Production settings refuse to start unsafe, and pass `check --deploy` when configured.

Each case starts a fresh Python process, because settings are read once, at start-up.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]

# Variables the settings read that could leak in from the developer's or CI's shell.
_CLEARED = (
    # Set by the browser suite's conftest in this process; no deployment has it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "APP_ENV",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "STATIC_ROOT",
    "LOG_LEVEL",
    "REDIS_URL",
    "WEBHOOK_ENCRYPTION_KEYS",
    "SITE_URL",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "DEFAULT_FROM_EMAIL",
    "DJANGO_SETTINGS_MODULE",
)


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _CLEARED}
    env["DJANGO_SETTINGS_MODULE"] = "cotalker_webhooks.settings"
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env.update(values)
    return env


def _production(tmp_path: Path, **values: str) -> dict[str, str]:
    base = {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "webhooks.example.com",
        "STATIC_ROOT": str(tmp_path / "static"),
        "WEBHOOK_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    return _env(tmp_path, **{**base, **values})


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _setup(env: dict[str, str]) -> subprocess.CompletedProcess:
    return _run(env, "-c", "import django; django.setup()")


def _settings(env: dict[str, str], *names: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    process = _run(env, "-c", code)
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY"),
        ({"SECRET_KEY": "django-insecure-" + "x" * 60}, "SECRET_KEY"),
        ({"DEBUG": "true"}, "DEBUG"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"SECURE_SSL_REDIRECT": "maybe"}, "SECURE_SSL_REDIRECT"),
        ({"SECURE_HSTS_SECONDS": "a year"}, "SECURE_HSTS_SECONDS"),
        ({"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"}, "SECURE_PROXY_SSL_HEADER"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"APP_ENV": "staging"}, "APP_ENV"),
        ({"WEBHOOK_ENCRYPTION_KEYS": ""}, "WEBHOOK_ENCRYPTION_KEYS"),
        ({"WEBHOOK_ENCRYPTION_KEYS": f"{Fernet.generate_key().decode()},nope"}, "WEBHOOK_ENCRYPTION_KEYS"),
        ({"SITE_URL": "webhooks.example.com"}, "SITE_URL"),
        ({"SITE_URL": "https://webhooks.example.com/panel"}, "SITE_URL"),
        ({"EMAIL_PORT": "smtp"}, "EMAIL_PORT"),
        ({"EMAIL_USE_TLS": "true", "EMAIL_USE_SSL": "true"}, "EMAIL_USE_TLS"),
    ],
)
def test_unsafe_or_malformed_production_settings_stop_start_up_naming_the_variable(
    tmp_path, values, variable
):
    env = _production(tmp_path, **values)
    if values.get("SECRET_KEY") == "":
        del env["SECRET_KEY"]

    process = _setup(env)

    assert process.returncode != 0
    last_line = process.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured:")
    assert variable in last_line


def test_manage_py_check_also_refuses_to_run_without_a_secret_key(tmp_path):
    env = _production(tmp_path)
    del env["SECRET_KEY"]

    process = _run(env, "manage.py", "check")

    assert process.returncode != 0
    assert "SECRET_KEY must be set" in process.stderr


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    process = _run(_production(tmp_path), "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert process.returncode == 0, process.stdout + process.stderr
    assert "System check identified no issues" in process.stdout


def test_check_deploy_flags_a_production_site_that_turns_https_off(tmp_path):
    """The clean result above is not vacuous: turning the safe defaults off is reported."""
    env = _production(tmp_path, SECURE_SSL_REDIRECT="false", SESSION_COOKIE_SECURE="false")

    process = _run(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert process.returncode != 0
    assert "security.W008" in process.stderr
    assert "security.W012" in process.stderr


def test_production_defaults_are_the_safe_ones(tmp_path):
    values = _settings(
        _production(tmp_path),
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_PROXY_SSL_HEADER",
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS",
        "ALLOWED_HOSTS",
        "STORAGES",
    )

    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    # Trusting a forwarded-protocol header is only safe behind a proxy that sets it: opt-in.
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] is False
    assert values["ALLOWED_HOSTS"] == ["webhooks.example.com"]
    assert values["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def test_https_settings_come_from_the_environment(tmp_path):
    env = _production(
        tmp_path,
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="600",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto,https",
        CSRF_TRUSTED_ORIGINS="https://webhooks.example.com,https://admin.example.com",
        ALLOWED_HOSTS="webhooks.example.com, 10.0.0.5",
    )

    values = _settings(
        env,
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER",
        "CSRF_TRUSTED_ORIGINS",
        "ALLOWED_HOSTS",
    )

    assert values == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 600,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "CSRF_TRUSTED_ORIGINS": ["https://webhooks.example.com", "https://admin.example.com"],
        "ALLOWED_HOSTS": ["webhooks.example.com", "10.0.0.5"],
    }


def test_collectstatic_writes_hashed_compressed_files_for_whitenoise(tmp_path):
    process = _run(_production(tmp_path), "manage.py", "collectstatic", "--noinput", "-v", "0")

    assert process.returncode == 0, process.stderr
    static = tmp_path / "static"
    manifest = json.loads((static / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/panel.css"]
    assert hashed != "css/panel.css"
    assert (static / hashed).is_file()
    assert (static / f"{hashed}.gz").is_file()


def test_development_serves_static_without_collectstatic_and_without_a_warning(tmp_path):
    """No 'No directory at: .../staticfiles/' warning when STATIC_ROOT was never collected."""
    code = (
        "import django; django.setup(); from django.test import Client; "
        "print(Client().get('/static/css/panel.css').status_code)"
    )
    env = _env(
        tmp_path, DEBUG="false", STATIC_ROOT=str(tmp_path / "never-collected"), PYTHONWARNINGS="always"
    )

    process = _run(env, "-c", code)

    assert process.returncode == 0, process.stderr
    assert process.stdout.strip().splitlines()[-1] == "200"
    assert "No directory at" not in process.stderr


def test_production_mails_over_smtp_from_the_environment_and_links_to_the_first_allowed_host(tmp_path):
    names = ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "DEFAULT_FROM_EMAIL", "SITE_URL")
    defaults = _settings(_production(tmp_path), *names)
    configured = _settings(
        _production(
            tmp_path,
            EMAIL_HOST="smtp.example.com",
            EMAIL_PORT="587",
            EMAIL_USE_TLS="true",
            DEFAULT_FROM_EMAIL="webhooks@example.com",
            SITE_URL="https://panel.example.com/",
        ),
        *names,
    )
    development = _settings(_env(tmp_path, APP_ENV="development"), "EMAIL_BACKEND", "SITE_URL")

    assert defaults["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert defaults["SITE_URL"] == "https://" + _production(tmp_path)["ALLOWED_HOSTS"].split(",")[0]
    assert configured == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": 587,
        "EMAIL_USE_TLS": True,
        "DEFAULT_FROM_EMAIL": "webhooks@example.com",
        "SITE_URL": "https://panel.example.com",
    }
    assert development == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "SITE_URL": "http://127.0.0.1:8000",
    }


def test_env_example_lists_every_variable_the_settings_read():
    source = (ROOT / "cotalker_webhooks" / "settings.py").read_text()
    read = set(re.findall(r'env_(?:str|bool|int|float|list)\(\s*"([A-Z0-9_]+)"', source))
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z0-9_]+)=", example, flags=re.MULTILINE))

    assert len(read) > 30
    assert read - listed == set()
    assert listed - read == set()
