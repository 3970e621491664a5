"""How models look: the catalog list with each model's status, and one model's facts,
prices, limits, lifecycle and sources. ``~`` marks a fact o4 could not confirm;
``(models.toml)`` a value from the user's catalog."""

from __future__ import annotations

from typing import Any

from o4cli.render import Out


def status_text(life: dict[str, Any]) -> str:
    """``active``, ``deprecated: shuts down 2026-12-11``, ``shut down 2026-10-23``."""
    mark = "~" if "shutdown" in life.get("unconfirmed", []) else ""
    if life["status"] == "shut down":
        return f"shut down {mark}{life['shutdown']}"
    if life["status"] == "deprecated":
        return f"deprecated: shuts down {mark}{life['shutdown']}" if life["shutdown"] else "deprecated"
    return "active"


def listing(out: Out, rows: list[dict[str, Any]]) -> None:
    remote = any(r["available"] is not None for r in rows)
    headers = ["model", "context", "max output", "input $/1M", "cached $/1M", "output $/1M", "status", "substitute"]
    if remote:
        headers.append("available")
    table = []
    for r in rows:
        mark = "~" if r["price_unconfirmed"] else ""
        life = r["lifecycle"]
        sub = life["substitute"]
        row = [
            r["id"] + (" (models.toml)" if r["user_fields"] else ""),
            r["context_window"],
            r["max_output"],
            _usd(r["price"], "input", mark),
            _usd(r["price"], "cached_input", mark),
            _usd(r["price"], "output", mark),
            status_text(life),
            (("~" if "substitute" in life["unconfirmed"] else "") + sub) if sub else None,
        ]
        if remote:
            row.append({True: "yes", False: "no", None: "-"}[r["available"]])
        table.append(tuple(row))
    out.table(headers, table)


def _usd(price: dict[str, Any] | None, key: str, mark: str = "") -> str:
    return f"{mark}${price[key]}" if price else "unpriced"


def _value(view: dict[str, Any], key: str, fact: str) -> Any:
    value = view[key]
    text = ", ".join(value) if isinstance(value, list) else value
    if fact in view.get("unconfirmed", []) or any(fact.startswith(u + ".") for u in view.get("unconfirmed", [])):
        text = f"~{text} (unconfirmed)"
    if any(u == fact or u.startswith(fact + ".") for u in view.get("user_fields", [])):
        text = f"{text} (models.toml)"
    return text


def show(out: Out, view: dict[str, Any], *, tier: int) -> None:
    facts = [("model", view["id"])]
    for key, label, fact in (
        ("snapshot", "snapshot", "snapshot"),
        ("aliases", "aliases", "aliases"),
        ("description", "description", "description"),
        ("tokenizer", "tokenizer", "tokenizer"),
        ("context_window", "context window", "context_window"),
        ("max_output", "max output", "max_output"),
        ("knowledge_cutoff", "knowledge cutoff", "knowledge_cutoff"),
        ("input_modalities", "input", "input_modalities"),
        ("output_modalities", "output", "output_modalities"),
        ("endpoints", "endpoints", "endpoints"),
        ("reasoning_efforts", "reasoning effort", "efforts"),
        ("verbosity", "verbosity", "verbosity"),
        ("fine_tuning_methods", "fine-tuning", "fine_tuning_methods"),
    ):
        if key in view and view[key] not in (None, []):
            facts.append((label, _value(view, key, fact)))
    life = view.get("lifecycle")
    if life:
        facts.append(("status", status_text(life)))
        for key in ("released", "deprecated", "shutdown", "substitute"):
            if life.get(key):
                text = ("~" if key in life["unconfirmed"] else "") + str(life[key])
                if key in life["unconfirmed"]:
                    text += " (unconfirmed)"
                if key == "shutdown" and life.get("shutdown_source") == "GET /models":
                    text += " (GET /models)"
                if any(u == f"lifecycle.{key}" or u == "lifecycle" for u in view.get("user_fields", [])):
                    text += " (models.toml)"
                facts.append((key, text))
    if view.get("remote"):
        r = view["remote"]
        facts.append(("remote", f"owned by {r.get('owned_by', '-')}, created {r.get('created_date', '-')}"))
    out.fields(facts, title=view["id"])
    if view.get("features"):
        out.table(
            ["feature", "supported"],
            [(k.replace("_", " "), v) for k, v in view["features"].items()],
            title="Features",
        )
    if view.get("prices"):
        rows = []
        for mode, p in view["prices"].items():
            cells = []
            for k in ("input", "cached_input", "output"):
                path = f"prices.{mode}.{k}"
                mark = "~" if _unconfirmed(view, path) else ""
                cells.append(f"{mark}${p[k]}" + (" (models.toml)" if _user(view, path) else ""))
            rows.append((mode, *cells))
            if p.get("long_context"):
                lc = p["long_context"]
                rows.append(
                    (f"{mode}, input above {lc['above_input_tokens']:,}", f"${lc['input']}", f"${lc['cached_input']}",
                     f"${lc['output']}")
                )  # fmt: skip
        out.table(
            ["pricing", "input $/1M", "cached $/1M", "output $/1M"],
            rows,
            title="Prices (USD per 1M tokens; reasoning tokens bill as output; ~ unconfirmed)",
        )
    if view.get("rate_limits"):
        rows = [(f"tier {t['tier']}", t["rpm"], t["tpm"], t["batch_queue_tokens"]) for t in view["rate_limits"]]
        out.table(
            ["usage tier", "RPM", "TPM", "batch queue tokens"],
            rows,
            title=f"Rate limits (this profile: tier {tier})",
            highlight_row=tier - 1,
        )
    if view.get("rejected_parameters"):
        out.table(
            ["parameter", "instead"],
            list(view["rejected_parameters"].items()),
            title="Request parameters o4 refuses for this model",
        )
    if view.get("sources"):
        seen: dict[str, list[str]] = {}
        for fact, src in view["sources"].items():
            if src:
                seen.setdefault(src["id"], []).append(fact)
        srcs = {s["id"]: s for s in view["sources"].values() if s}
        out.table(
            ["source", "read", "facts", "where"],
            [(srcs[i]["title"], srcs[i]["read"], ", ".join(f), srcs[i]["url"]) for i, f in seen.items()],
            title="Sources",
        )


def _unconfirmed(view: dict[str, Any], path: str) -> bool:
    return any(path == u or path.startswith(u + ".") for u in view.get("unconfirmed", [])) and not _user(view, path)


def _user(view: dict[str, Any], path: str) -> bool:
    return any(path == u or path.startswith(u + ".") for u in view.get("user_fields", []))
