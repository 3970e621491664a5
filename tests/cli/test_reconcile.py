"""`o4 usage reconcile` against the emulator's organization Usage and Costs APIs
(tests/emulator_usage.py): agreement, differences (whose), paging, the admin key."""

import json
from decimal import Decimal

from tests.emulator import TEST_KEY
from tests.emulator_usage import ADMIN_KEY

ADMIN = {"OPENAI_ADMIN_KEY": ADMIN_KEY}


def org_requests(emulator):
    return [r for r in emulator.log if r.path.startswith("/v1/organization/")]


def spend(o4, emulator):
    emulator.answer(text="a", input_tokens=2000, cached_tokens=1024, output_tokens=500)
    assert o4("ask", "x").code == 0
    emulator.answer(text="b", input_tokens=3000, output_tokens=700, service_tier="flex")
    assert o4("stream", "y", "--flex").code == 0


def reconcile(o4, *args, env=ADMIN):
    r = o4("usage", "reconcile", "--json", *args, extra_env=env)
    return r, json.loads(r.stdout, parse_float=Decimal)


def test_the_ledger_and_openai_agree_per_day_model_and_pricing(o4, emulator):
    spend(o4, emulator)
    r, doc = reconcile(o4)
    assert r.code == 0, r.stderr
    assert doc["agree"] is True and doc["attributable_differences"] == 0
    rows = {(x["model"], x["pricing"]): x for x in doc["rows"]}
    assert set(rows) == {("o4-mini", "standard"), ("o4-mini", "flex")}
    std = rows["o4-mini", "standard"]
    assert (std["o4"]["input_tokens"], std["openai"]["input_tokens"]) == (2000, 2000)
    assert (std["o4"]["output_tokens"], std["openai"]["output_tokens"]) == (500, 500)
    assert std["o4"]["cost_usd"] == std["openai"]["cost_usd"]  # OpenAI's tokens at o4's prices
    [today] = [d for d in doc["days"] if d["o4_usd"]]
    assert abs(today["o4_usd"] - today["billed_usd"]) <= Decimal("0.000002") and not today["differs"]
    assert {li["line_item"] for li in doc["line_items"]} >= {"o4-mini-2025-04-16, input", "o4-mini-2025-04-16, output"}
    # the admin key, and only it, went to the organization endpoints; the API key never did
    orgs = org_requests(emulator)
    assert {r.path.split("?")[0] for r in orgs} == {"/v1/organization/usage/completions", "/v1/organization/costs"}
    assert all(r.headers["Authorization"] == f"Bearer {ADMIN_KEY}" for r in orgs)
    assert all("group_by=model&group_by=batch&group_by=service_tier" in r.path for r in orgs if "usage" in r.path)


def test_other_keys_spend_is_shown_not_failed_until_the_key_is_named(o4, emulator):
    spend(o4, emulator)
    emulator.org_usage(model="o4-mini-2025-04-16", input_tokens=90_000, cached_tokens=0, output_tokens=9_000,
                       api_key_id="key_laptop")  # fmt: skip
    r, doc = reconcile(o4)
    assert r.code == 0, r.stderr
    assert "differ beyond 1% only where other keys or machines may spend (~)" in o4("usage", "reconcile", extra_env=ADMIN).stderr
    std = next(x for x in doc["rows"] if x["pricing"] == "standard")
    assert std["differs"] and not std["attributable"] and std["openai"]["input_tokens"] == 92_000
    # naming this ledger's key leaves the laptop's spend out: they agree again
    r, doc = reconcile(o4, "--api-key-id", "key_test")
    assert r.code == 0 and doc["agree"]
    # the same key spending elsewhere (a CI runner whose ledger is gone) is this key's difference
    emulator.org_usage(model="o4-mini-2025-04-16", input_tokens=50_000, cached_tokens=0, output_tokens=0)
    r, doc = reconcile(o4, "--api-key-id", "key_test")
    assert r.code == 1 and doc["agree"] is False and doc["attributable_differences"] == 2  # tokens and dollars
    assert "beyond the tolerance of 1% attributable to this ledger's calls" in r.stderr
    assert reconcile(o4, "--api-key-id", "key_test", "--tolerance", "99%")[0].code == 0


def test_o4_counting_more_than_openai_is_always_its_own_difference(o4, emulator):
    spend(o4, emulator)
    emulator.usage_records.clear()  # OpenAI's books have none of it
    r, doc = reconcile(o4)
    assert r.code == 1 and doc["attributable_differences"] == 3  # two rows and the day's dollars
    human = o4("usage", "reconcile", extra_env=ADMIN)
    assert human.code == 1 and "rows marked ! are this ledger's own difference" in human.stderr
    title, header, *lines = human.stdout.split("\n\n")[0].splitlines()
    assert title.startswith("# Tokens, ") and title.endswith("(UTC)")
    assert header.split("\t")[:5] == ["day", "model", "pricing", "o4 in", "openai in"]
    assert all(line.endswith("\t!") for line in lines)
    assert "other keys and machines spend there too" in human.stderr


def test_pages_are_followed(o4, emulator):
    spend(o4, emulator)
    emulator.org_page_limit = 2
    r, doc = reconcile(o4, "--since", "6d")
    assert r.code == 0 and doc["agree"], r.stderr
    usage_calls = [x for x in org_requests(emulator) if "usage/completions" in x.path]
    assert len(usage_calls) == 4 and "page=" in usage_calls[-1].path  # 7 days, 2 a page
    assert len(doc["days"]) >= 1 and doc["since"] < doc["until"]


def test_no_admin_key_is_exit_3_and_the_api_key_is_never_used(o4, emulator):
    r = o4("usage", "reconcile")
    assert r.code == 3 and "no admin key: $OPENAI_ADMIN_KEY is not set" in r.stderr
    assert org_requests(emulator) == []
    o4("config", "set", "admin_key_env", "ORG_ADMIN")
    r = o4("usage", "reconcile", extra_env={"OPENAI_ADMIN_KEY": ADMIN_KEY})
    assert r.code == 3 and "$ORG_ADMIN" in r.stderr
    # a key without the usage scope (here: the API key given as the admin key) is refused by the API
    r = o4("usage", "reconcile", extra_env={"ORG_ADMIN": TEST_KEY})
    assert r.code == 3 and "insufficient permissions" in r.stderr and TEST_KEY not in r.stderr


def test_bad_tolerance_is_exit_2(o4):
    r = o4("usage", "reconcile", "--tolerance", "lots", extra_env=ADMIN)
    assert r.code == 2 and "--tolerance 'lots'" in r.stderr
