"""Long calls that survive: background mode of the Responses API.

A background call (``background: true``, which needs ``store: true``) runs on the server;
the client keeps only its id, polls ``GET /v1/responses/{id}`` while it is ``queued`` or
``in_progress``, may stream it again from a sequence number
(``GET /v1/responses/{id}?stream=true&starting_after=N``, for calls created with
``stream: true``) and may cancel it (``POST /v1/responses/{id}/cancel``). Source: OpenAI's
background guide and the OpenAPI spec (``getResponse``, ``cancelResponse``).

The ledger keeps each call as a job of kind ``response`` from the moment its id is known,
before anything else can fail; its cost becomes a request row once, when the final state
is first seen (``o4 wait``, ``o4 jobs``, ``o4 cancel`` or a resumed stream), in one
transaction that only the first of several racing processes wins.

Modules: ``remote`` (the endpoints), ``poll`` (backoff and polling, pure and clocked),
``hold`` (Ctrl-C held until the id is in the ledger), ``record`` (the job, and settling its
cost once), ``submit`` (``--background``), ``resume`` (a stream that reconnects after a
cut), ``wait`` (``o4 wait``), ``jobs`` (``o4 jobs``, ``o4 cancel``).
"""

KIND = "response"  # the jobs table's kind for background calls
PENDING = ("queued", "in_progress")
FINAL = ("completed", "incomplete", "failed", "cancelled")
