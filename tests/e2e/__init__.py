"""Tests that need a real ``o4`` process: everything else runs ``main()`` in-process.

* ``test_signals``: Ctrl-C (SIGINT from a terminal or ``kill -INT``) reaching a real
  process mid-call, mid-stream and mid-``batch run``.
* ``test_terminal``: a real pseudo-terminal (pexpect): rich tables, live markdown,
  progress bars, colour and ``NO_COLOR``.
* ``test_processes``: ``| head`` closing the pipe, several processes opening one new
  ledger at once, ``python -m o4cli`` and the ``o4`` console script agreeing.
* ``test_completions``: the generated bash completion script run by bash.
* ``test_startup``: what a fresh interpreter imports for ``--version`` and ``--help``.

One more real-process test stays where the README names it: ``tests/test_readme.py``
runs the README's runnable examples in bash, with an ``o4`` on PATH.

The in-process twin of each behaviour that can be checked without a process sits next
to the other command tests in ``tests/cli/`` (see each test's docstring).
"""
