"""Rows a catalogue's inner joins drop, counted after a load (``metrics.unmatched``), by hand."""

import duckdb

from stocktake.metrics.catalogue import load_catalogue
from stocktake.metrics.unmatched import unmatched_rows


def test_a_case_on_a_list_not_in_the_sessions_is_counted_with_an_example():
    """An outside check loaded a theatre case whose list was not in the sessions extract: "1 added",
    and it counted in no theatre measure. Three cases, one on list S9 that the sessions lack."""
    con = duckdb.connect()
    con.execute("CREATE TABLE theatre_sessions AS SELECT * FROM (VALUES ('S1'), ('S2')) t(session_id)")
    con.execute(
        "CREATE TABLE theatre_cases AS SELECT * FROM (VALUES ('C1', 'S1'), ('C2', 'S2'), ('C3', 'S9')) "
        "t(case_id, session_id)"
    )
    [found] = unmatched_rows(con, load_catalogue())
    assert (found.view, found.dataset, found.key, found.other, found.rows, found.example) == (
        "booked_cases", "theatre_cases", "session_id", "theatre_sessions", 1, "S9",
    )  # fmt: skip
    assert found.words() == (
        "1 row of theatre_cases with a session_id not in theatre_sessions (e.g. S9): counted in no measure "
        "that reads booked_cases; load the theatre_sessions extract that holds them"
    )
    con.execute("INSERT INTO theatre_sessions VALUES ('S9')")
    assert unmatched_rows(con, load_catalogue()) == []


def test_a_left_join_drops_nothing_and_a_dataset_not_loaded_is_not_counted():
    """A hip fracture without its hospital spell is kept (the join is left), and with no sessions
    loaded yet there is nothing to match the cases against."""
    con = duckdb.connect()
    con.execute("CREATE TABLE hip_fractures AS SELECT * FROM (VALUES ('H1', 'X1')) t(record_id, spell_id)")
    con.execute("CREATE TABLE admissions AS SELECT * FROM (VALUES ('X2')) t(spell_id)")
    con.execute("CREATE TABLE theatre_cases AS SELECT * FROM (VALUES ('C1', 'S1')) t(case_id, session_id)")
    assert unmatched_rows(con, load_catalogue()) == []
