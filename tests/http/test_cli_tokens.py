"""``zhiqian token create|list|revoke``: shown once, stored hashed, revoked at once."""

from __future__ import annotations

import json

import httpx
from typer.testing import CliRunner

from tests.http.conftest import Service
from zhiqian.engine.cli import app
from zhiqian.store.tokens import list_tokens, secret_hash


def _cli(db: str, *args: str) -> tuple[int, str, str]:
    runner = CliRunner(env={"COLUMNS": None, "ZHIQIAN_DB": None, "ZHIQIAN_RULES": None})
    result = runner.invoke(app, ["--db", db, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_a_token_is_shown_once_works_and_stops_working_when_revoked(service: Service) -> None:
    db = service.engine.bind.url.render_as_string(hide_password=False)
    code, out, err = _cli(
        db, "token", "create", "--office", "140302", "--role", "leader", "--holder", "王科长"
    )
    assert code == 0, err
    secret = out.strip()
    assert secret.startswith("zq_")
    assert len(secret) > 40
    assert "shown once" in err
    stored = {t.holder: t for t in list_tokens(service.engine.bind)}["王科长"]
    assert stored.prefix == secret[:10]
    with service.engine.bind.connect() as conn:  # the secret itself is nowhere in the table
        dump = " ".join(
            str(v) for row in conn.exec_driver_sql("SELECT * FROM zq_api_tokens") for v in row
        )
    assert secret not in dump
    assert secret_hash(secret) in dump

    code, out, _ = _cli(db, "token", "list", "--format", "json")
    listed = json.loads(out)
    assert code == 0
    assert all("token" not in row and "secret_hash" not in row for row in listed)
    assert {"id", "prefix", "office", "role", "holder", "created_at", "revoked_at"} <= set(
        listed[0]
    )

    headers = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(f"{service.base_url}/v1/cases", headers=headers).status_code == 200
    code, out, _ = _cli(db, "token", "revoke", str(stored.id), "--format", "json")
    assert code == 0
    assert json.loads(out)["revoked_at"] is not None
    assert httpx.get(f"{service.base_url}/v1/cases", headers=headers).status_code == 401


def test_bad_token_commands_are_refused(service: Service) -> None:
    db = service.engine.bind.url.render_as_string(hide_password=False)
    assert _cli(db, "token", "create", "--office", "1403", "--role", "clerk")[0] == 2
    assert _cli(db, "token", "create", "--office", "140302", "--role", "boss")[0] == 2
    code, _, err = _cli(db, "token", "revoke", "999999")
    assert code == 1
    assert "no token 999999" in err
