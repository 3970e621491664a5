"""What `o4 --version` and `o4 --help` import: the lazy layout is a contract."""

import subprocess
import sys


def imported_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True, text=True, check=True,
    ).stdout
    return set(out.split())


def test_cli_modules_import_no_httpx_rich_or_pydantic():
    mods = imported_after("import o4cli.cli")
    for heavy in ("httpx", "rich", "pydantic", "o4cli.core.http.api", "o4cli.render", "o4cli.core.ledger", "sqlite3"):
        assert heavy not in mods, heavy


def test_version_imports_not_even_typer(monkeypatch):
    mods = imported_after("import sys; sys.argv = ['o4', '--version']\nfrom o4cli.__main__ import main\nimport io, contextlib\nwith contextlib.redirect_stdout(io.StringIO()): main()")
    assert "typer" not in mods and "o4cli.cli" not in mods


def test_help_lists_the_commands_and_global_options():
    r = subprocess.run([sys.executable, "-m", "o4cli", "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    for word in ("config", "models", "--profile", "--verbose", "--version"):
        assert word in r.stdout
