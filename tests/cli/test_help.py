"""`o4 --help` in-process (what a fresh interpreter imports for it: tests/e2e/test_startup.py)."""


def test_help_names_every_command_and_global_option(o4):
    r = o4("--help")
    assert r.code == 0 and r.stderr == ""
    for word in ("ask", "stream", "batch", "config", "finetune", "models", "usage"):
        assert f"  {word} " in r.stdout or f"  {word}\n" in r.stdout, word
    for option in ("--profile", "--verbose", "--quiet", "--version"):
        assert option in r.stdout
    assert o4("-h").stdout == r.stdout
