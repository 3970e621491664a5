"""Templates: saved with flags, edited, applied with -t NAME and --var KEY=VALUE."""

import json
from pathlib import Path


def folder(env) -> Path:
    return Path(env["O4_CONFIG"]).parent / "templates"


def test_save_list_show_and_apply_with_variables(o4, emulator, env):
    r = o4("templates", "save", "review", "-s", "You review $lang code.", "--prompt", "Review this:", "-e", "high",
           "--param", "store=false", "--description", "Code review")  # fmt: skip
    assert r.code == 0, r.stderr
    assert (folder(env) / "review.toml").exists()
    listed = json.loads(o4("templates", "list", "--json").stdout)
    assert [(t["name"], t["variables"], t["effort"]) for t in listed] == [("review", ["lang"], "high")]
    assert 'system = "You review $lang code."' in o4("templates", "show", "review").stdout
    r = o4("ask", "-t", "review", "--var", "lang=Python", "def f(): pass")
    assert r.code == 0, r.stderr
    body = emulator.bodies()[-1]
    assert body["instructions"] == "You review Python code."
    assert body["input"] == "Review this: def f(): pass"
    assert body["reasoning"] == {"effort": "high"} and body["store"] is False
    o4("ask", "-t", "review", "--var", "lang=Go", "-e", "low", "-s", "Mine.", "x")  # flags win
    assert emulator.bodies()[-1]["reasoning"] == {"effort": "low"} and emulator.bodies()[-1]["instructions"] == "Mine."


def test_input_placeholder_and_variable_errors(o4, emulator):
    o4("templates", "save", "wrap", "--prompt", "Translate «$input» into $to.")
    o4("ask", "-t", "wrap", "--var", "to=French", "good morning")
    assert emulator.bodies()[-1]["input"] == "Translate «good morning» into French."
    r = o4("ask", "-t", "wrap", "x")
    assert r.code == 2 and "needs --var to=VALUE" in r.stderr
    r = o4("ask", "-t", "wrap", "--var", "to=x", "--var", "tone=dry", "x")
    assert r.code == 2 and "has no $tone" in r.stderr
    r = o4("ask", "--var", "to=x", "x")
    assert r.code == 2 and "--var goes with -t" in r.stderr
    r = o4("ask", "-t", "nope", "x")
    assert r.code == 2 and "no template 'nope'" in r.stderr and "wrap" in r.stderr
    assert len(emulator.log) == 1


def test_save_refuses_to_overwrite_and_bad_files_are_named(o4, env):
    assert o4("templates", "save", "t", "-s", "one").code == 0
    r = o4("templates", "save", "t", "-s", "two")
    assert r.code == 2 and "--force" in r.stderr
    assert o4("templates", "save", "t", "-s", "two", "--force").code == 0
    assert o4("templates", "save", "../evil", "-s", "x").code == 2
    (folder(env) / "bad.toml").write_text('sistem = "typo"\n')
    r = o4("ask", "-t", "bad", "x")
    assert r.code == 2 and "bad.toml: unknown key 'sistem'" in r.stderr
    assert o4("templates", "rm", "t").code == 0 and o4("templates", "rm", "t").code == 2


def test_edit_checks_before_saving(o4, env, tmp_path):
    o4("templates", "save", "t", "-s", "careful")
    r = o4("templates", "edit", "t", extra_env={"VISUAL": "sed -i s/careful/CAREFUL/"})
    assert r.code == 0, r.stderr
    assert 'system = "CAREFUL"' in (folder(env) / "t.toml").read_text()
    r = o4("templates", "edit", "t", extra_env={"VISUAL": "sed -i s/system/sistem/"})
    assert r.code == 2 and "unknown key 'sistem'" in r.stderr and "draft" in r.stderr
    assert 'system = "CAREFUL"' in (folder(env) / "t.toml").read_text()  # the saved one is untouched
