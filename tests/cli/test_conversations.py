"""Conversations that survive: -c/--cid keep instructions, model and effort, on both APIs,
after store=false (replayed with encrypted reasoning), and when the server forgot."""

import json

import pytest


def test_continue_keeps_the_instructions_and_chains_on_responses(o4, emulator):
    assert o4("ask", "-s", "Always answer in French", "hello").code == 0
    r = o4("ask", "-c", "and now?")
    assert r.code == 0, r.stderr
    first, second = emulator.bodies("/v1/responses")
    assert second["instructions"] == "Always answer in French"  # the API would have dropped them
    assert second["previous_response_id"] == sorted(emulator.responses)[0]
    assert second["input"] == "and now?"  # chained: the earlier turn is not sent again
    r = o4("ask", "-c", "-s", "Now in German", "again")
    assert emulator.bodies()[-1]["instructions"] == "Now in German"  # -s overrides, and is kept after
    o4("ask", "-c", "once more")
    assert emulator.bodies()[-1]["instructions"] == "Now in German"


def test_continue_keeps_model_and_effort_unless_given(o4, emulator):
    o4("ask", "-m", "o4-mini-2025-04-16", "-e", "high", "one")
    o4("ask", "-c", "two")
    o4("ask", "-c", "-e", "low", "three")
    bodies = emulator.bodies()
    assert (bodies[1]["model"], bodies[1]["reasoning"]) == ("o4-mini-2025-04-16", {"effort": "high"})
    assert (bodies[2]["model"], bodies[2]["reasoning"]) == ("o4-mini-2025-04-16", {"effort": "low"})


def test_chat_completions_replays_the_conversation(o4, emulator):
    o4("ask", "--api", "chat", "-s", "Be terse.", "first question")
    r = o4("stream", "--api", "chat", "-c", "second question")
    assert r.code == 0, r.stderr
    body = emulator.bodies("/v1/chat/completions")[-1]
    assert body["messages"] == [
        {"role": "developer", "content": "Be terse."},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "Echo: first question"},
        {"role": "user", "content": "second question"},
    ]


def test_store_false_is_replayed_with_encrypted_reasoning(o4, emulator):
    o4("ask", "--param", "store=false", "-s", "Short answers.", "secret plan")
    first = emulator.bodies()[-1]
    assert first["include"] == ["reasoning.encrypted_content"] and first["store"] is False
    assert emulator.responses == {}  # nothing kept server-side to chain from
    r = o4("ask", "-c", "--param", "store=false", "go on")
    assert r.code == 0, r.stderr
    body = emulator.bodies()[-1]
    assert "previous_response_id" not in body and body["instructions"] == "Short answers."
    user, reasoning, message, now = body["input"]
    assert user == {"role": "user", "content": "secret plan"}
    assert reasoning["type"] == "reasoning" and reasoning["encrypted_content"].startswith("gAAAA")
    assert message["type"] == "message" and message["content"][0]["text"] == "Echo: secret plan"
    assert now == {"role": "user", "content": "go on"}
    # (the emulator refuses reasoning items whose encrypted content it did not issue, and the
    # fixture checks every body above against OpenAI's OpenAPI spec)


def test_a_forgotten_response_falls_back_to_replay_once(o4, emulator):
    o4("ask", "-s", "Be kind.", "hello")
    emulator.forget()  # 30 days later, or deleted
    r = o4("ask", "-c", "still there?")
    assert r.code == 0, r.stderr
    assert r.stderr.count("no longer has resp_") == 1 and "from o4's history" in r.stderr
    chained, replayed = emulator.bodies()[1:]
    assert chained["previous_response_id"].startswith("resp_")
    assert "previous_response_id" not in replayed and replayed["instructions"] == "Be kind."
    assert replayed["input"][0] == {"role": "user", "content": "hello"}
    assert replayed["input"][-1] == {"role": "user", "content": "still there?"}


def test_a_forgotten_response_without_history_says_why(o4, emulator):
    o4("ask", "--no-log", "hello")
    emulator.forget()
    r = o4("ask", "-c", "x")
    assert r.code == 1 and "no copy" in r.stderr and "start a new conversation" in r.stderr


def test_named_conversations(o4, emulator):
    r = o4("ask", "--cid", "review", "look at this")
    assert r.code == 0 and "new conversation 'review'" in r.stderr
    o4("ask", "other topic")  # -c would now continue this one; --cid still finds 'review'
    o4("ask", "--cid", "review", "and this")
    last = emulator.bodies()[-1]
    assert last["previous_response_id"] == sorted(emulator.responses)[0]
    listed = json.loads(o4("logs", "list", "--cid", "review", "--json").stdout)
    assert [t["prompt"] for t in listed] == ["and this", "look at this"]


def test_a_conversation_too_long_for_the_context_is_refused_before_sending(o4, emulator, tmp_path):
    big = tmp_path / "big.txt"
    words = ("river", "stone", "cloud", "green", "light", "table", "music", "paper")
    big.write_text(" ".join(words[i % 8] for i in range(110_000)))  # ~110k tokens, echoed back: ~220k
    assert o4("ask", "-f", str(big), "-q").code == 0
    sent = len(emulator.log)
    r = o4("ask", "-c", "and?")
    assert r.code == 2 and "no longer fits" in r.stderr and "200,000-token context" in r.stderr
    assert len(emulator.log) == sent


@pytest.mark.parametrize("api", ["responses", "chat"])
def test_the_ask_document_names_the_conversation(o4, emulator, api):
    doc = json.loads(o4("ask", "--api", api, "hi", "--json").stdout)
    assert doc["conversation"].startswith("c_")
    again = json.loads(o4("ask", "--api", api, "--cid", doc["conversation"], "more", "--json").stdout)
    assert again["conversation"] == doc["conversation"]
