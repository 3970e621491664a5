"""The emulator's background responses, straight over HTTP: status by its clock, store
required, cancel (twice), GET with ``stream=true&starting_after=N``, and which responses
can be streamed again. What o4 does with them: tests/cli/test_background.py."""

import json

import httpx

from tests.emulator import TEST_KEY

AUTH = {"Authorization": f"Bearer {TEST_KEY}"}


def _client(emulator) -> httpx.Client:
    return httpx.Client(base_url=emulator.url, headers=AUTH, timeout=10)


def _events(resp: httpx.Response) -> list[dict]:
    return [json.loads(line[6:]) for line in resp.text.splitlines() if line.startswith("data: ")]


def test_status_follows_the_clock_and_cancel_is_idempotent(emulator):
    emulator.clock.freeze()
    emulator.bg_timing = {"queued": 1.0, "in_progress": 2.0}
    with _client(emulator) as c:
        created = c.post("/responses", json={"model": "o4-mini", "input": "hi", "background": True}).json()
        rid = created["id"]
        assert (created["status"], created["background"], created["usage"]) == ("queued", True, None)
        seen = []
        for _ in range(3):
            seen.append(c.get(f"/responses/{rid}").json()["status"])
            emulator.clock.advance(1.0)
        done = c.get(f"/responses/{rid}").json()
        assert seen == ["queued", "in_progress", "in_progress"] and done["status"] == "completed"
        assert done["output"][-1]["content"][0]["text"] == "Echo: hi" and done["usage"]["output_tokens"] > 0
        assert c.post(f"/responses/{rid}/cancel").json()["status"] == "completed"  # ended: unchanged

        other = c.post("/responses", json={"model": "o4-mini", "input": "x", "background": True}).json()["id"]
        first = c.post(f"/responses/{other}/cancel").json()
        assert first["status"] == "cancelled" and first["usage"] is None  # cancelled while queued
        emulator.clock.advance(60)
        assert c.post(f"/responses/{other}/cancel").json() == c.get(f"/responses/{other}").json()
        refused = c.post("/responses", json={"model": "o4-mini", "input": "x", "background": True, "store": False})
        assert refused.status_code == 400 and refused.json()["error"]["param"] == "store"


def test_a_stream_resumes_after_a_sequence_number_and_only_streaming_calls_can(emulator):
    emulator.answer(text="abcdefghijkl", chunk=3)
    with _client(emulator) as c:
        body = {"model": "o4-mini", "input": "x", "background": True, "stream": True}
        with c.stream("POST", "/responses", json=body) as resp:
            resp.read()
            events = _events(resp)
        rid = events[0]["response"]["id"]
        assert [e["type"] for e in events[:2]] == ["response.created", "response.queued"]
        assert [e["sequence_number"] for e in events] == list(range(len(events)))
        again = _events(c.get(f"/responses/{rid}", params={"stream": "true", "starting_after": 4}))
        assert again == events[5:]
        assert _events(c.get(f"/responses/{rid}", params={"stream": "true"})) == events
        plain = c.post("/responses", json={"model": "o4-mini", "input": "x", "background": True}).json()["id"]
        assert c.get(f"/responses/{plain}", params={"stream": "true"}).status_code == 400
        assert c.get("/responses/resp_nope").status_code == 404


def test_a_fault_cuts_the_stream_of_the_post_and_of_a_resume(emulator):
    emulator.answer(text="abcdefghijkl", chunk=3)
    emulator.fault(cut_after=2, times=2, path="/v1/responses")
    with _client(emulator) as c:
        body = {"model": "o4-mini", "input": "x", "background": True, "stream": True}
        got: list[dict] = []
        for attempt in range(2):
            request = c.build_request("POST", "/responses", json=body) if attempt == 0 else c.build_request(
                "GET", f"/responses/{got[0]['response']['id']}", params={"stream": "true", "starting_after": got[-1]["sequence_number"]}
            )
            resp = c.send(request, stream=True)
            try:
                for line in resp.iter_lines():
                    if line.startswith("data: "):
                        got.append(json.loads(line[6:]))
            except httpx.RemoteProtocolError:
                pass  # cut: no terminating chunk
            finally:
                resp.close()
        assert got[-1]["type"] != "response.completed"  # both connections were cut
        deltas = [e["delta"] for e in got if e["type"] == "response.output_text.delta"]
        assert "".join(deltas) == "abcdefghijkl"[: 3 * len(deltas)] and len(deltas) >= 2
