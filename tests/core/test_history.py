"""The history table: its migration, FTS5 search, and the LIKE search without FTS5."""

from o4cli.core.history import History, fts_query, title_of
from o4cli.core.ledger import Ledger


def turn(**kw):
    base = dict(conversation="c_1", profile="default", command="ask", api="responses", model="o4-mini", prompt="p", answer="a", status="ok")
    return {**base, **kw}


def test_full_text_search_and_substring_fallback(tmp_path):
    ledger = Ledger.open(tmp_path)
    hist = History(ledger)
    assert hist.full_text
    hist.add(**turn(prompt="100% sure about snake_case"))
    hist.add(**turn(prompt="fifty percent", answer="snakes"))
    assert [t.prompt for t in hist.find(text="snake_case")] == ["100% sure about snake_case"]
    # a Python whose SQLite lacks FTS5 makes the table without the index: LIKE then
    ledger.db.execute("DROP TRIGGER history_ai")
    ledger.db.execute("DROP TRIGGER history_ad")
    ledger.db.execute("DROP TABLE history_fts")
    assert not hist.full_text
    assert [t.prompt for t in hist.find(text="100%")] == ["100% sure about snake_case"]  # % is text
    assert [t.prompt for t in hist.find(text="e_c")] == ["100% sure about snake_case"]  # _ is text
    assert [t.answer for t in hist.find(text="snakes")] == ["snakes"]
    assert hist.remove("1") == 1 and hist.clear() == 1
    ledger.close()


def test_removing_a_turn_removes_it_from_the_index(tmp_path):
    ledger = Ledger.open(tmp_path)
    hist = History(ledger)
    first = hist.add(**turn(prompt="alpha"))
    hist.add(**turn(prompt="beta", conversation="c_2"))
    assert hist.remove(str(first)) == 1
    assert hist.find(text="alpha") == [] and [t.prompt for t in hist.find(text="beta")] == ["beta"]
    assert hist.remove("c_2") == 1 and hist.find() == []
    ledger.close()


def test_query_words_are_quoted_and_titles_are_short():
    assert fts_query('c++ "x" NOT') == '"c++" """x""" "NOT"'
    assert fts_query("   ") == '""'
    assert title_of("\n\n  first line  \nsecond") == "first line"
    assert title_of("x" * 100, 10) == "x" * 9 + "…"
