"""core/cel.py: conditions compile once, refuse what they cannot bound, and say where."""
from decimal import Decimal

import pytest

from core.cel import (
    DEFAULT_FUNCTIONS,
    CelEvaluationError,
    CelNotAllowed,
    CelSyntaxError,
    CelUnknownVariable,
    bind,
    compile_expression,
)

VARIABLES = {"frequency90d", "recencyDays", "monetary365d", "homeStoreId", "consents"}


def _compile(source: str, **kwargs):
    return compile_expression(source, variables=VARIABLES, **kwargs)


def test_an_expression_compiles_once_and_evaluates_many_times():
    condition = _compile("frequency90d >= 3 && homeStoreId == 'st_portland'")
    assert condition.variables == {"frequency90d", "homeStoreId"}
    assert condition.evaluate({"frequency90d": 3, "homeStoreId": "st_portland"}) is True
    assert condition.evaluate({"frequency90d": 2, "homeStoreId": "st_portland"}) is False


def test_decimals_are_read_as_doubles_and_compare_with_integers():
    condition = _compile("monetary365d > 100")
    assert condition.evaluate({"monetary365d": Decimal("100.01")}) is True
    assert condition.evaluate({"monetary365d": 99.5}) is False


@pytest.mark.parametrize(("source", "line", "column"), [
    ("frequency90d >= 3 &&", 1, 21),  # the end of the text
    ("1 +* 2", 1, 4),
    ("frequency90d >= 3 &&\n  recencyDays <", 2, 16),
    ("'unterminated", 1, 1),
    ("   ", 1, 1),
])
def test_syntax_errors_name_the_line_and_column(source, line, column):
    with pytest.raises(CelSyntaxError) as caught:
        _compile(source)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert caught.value.where == f"line {line}, column {column}"
    assert len(caught.value.message) <= 300


def test_an_unknown_variable_is_refused_where_it_is_first_read():
    with pytest.raises(CelUnknownVariable) as caught:
        _compile("frequency90d > 2 &&\n  lifetimeSpend > 10 || lifetimeSpend < 0")
    assert (caught.value.line, caught.value.column) == (2, 3)
    assert "'lifetimeSpend'" in caught.value.message and "frequency90d" in caught.value.message


def test_a_variable_read_only_in_a_branch_never_taken_is_still_refused():
    """Evaluation would short-circuit past it: the check is static."""
    with pytest.raises(CelUnknownVariable):
        _compile("false && nobody == 1")


def test_fields_and_strings_are_not_variables():
    condition = _compile("consents.profiling && homeStoreId != 'nobody(' // a comment: nobody\n")
    assert condition.evaluate({"consents": {"profiling": True}, "homeStoreId": "st_1"}) is True


@pytest.mark.parametrize(("source", "function", "column"), [
    ("[1, 2].map(x, x * 2) == [2, 4]", "map", 8),
    ("[1, 2].exists(x, x > 1)", "exists", 8),
    ("[1, 2].all(x, x > 1)", "all", 8),
    ("[1, 2].filter(x, x > 1) == [2]", "filter", 8),
    ("[1, 2].exists_one(x, x > 1)", "exists_one", 8),
    ("cel.bind(a, 1, a + 1) == 2", "bind", 5),
    ("nope(1)", "nope", 1),
])
def test_loops_and_unknown_functions_are_refused_at_compile_time(source, function, column):
    with pytest.raises(CelNotAllowed) as caught:
        _compile(source)
    assert caught.value.message.startswith(f"{function}() is not available here")
    assert (caught.value.line, caught.value.column) == (1, column)


def test_nested_comprehensions_never_reach_the_engine():
    """Six nested maps over ten items take seconds in one call: refused before they can."""
    ten = "[0,1,2,3,4,5,6,7,8,9]"
    source = "size(" + "".join(f"{ten}.map(x{i}, " for i in range(6)) + "1" + ")" * 6 + ") > 0"
    with pytest.raises(CelNotAllowed):
        compile_expression(source, variables=set())


def test_the_allowed_functions_work():
    assert "matches" in DEFAULT_FUNCTIONS
    condition = _compile("homeStoreId.startsWith('st_') && size(homeStoreId) > 3 && homeStoreId.matches('^st_[a-z]+$')")
    assert condition.evaluate({"homeStoreId": "st_portland"}) is True


def test_deep_nesting_is_a_syntax_error_not_a_crash():
    with pytest.raises(CelSyntaxError):
        _compile("(" * 1000 + "1" + ")" * 1000)


def test_the_length_is_bounded():
    source = " || ".join(["frequency90d == 1"] * 200)
    with pytest.raises(CelSyntaxError, match="at most 2000"):
        _compile(source)
    assert _compile(source, max_length=10_000).evaluate({"frequency90d": 1}) is True


@pytest.mark.parametrize(("source", "values"), [
    ("recencyDays > 30", {"recencyDays": None}),  # null has no ordering
    ("frequency90d / 0 > 1", {"frequency90d": 3}),
    ("homeStoreId > 3", {"homeStoreId": "st_1"}),
    ("consents.nothing", {"consents": {}}),
    ("frequency90d > 1", {}),  # declared but not given
])
def test_evaluation_errors_are_one_kind_of_error(source, values):
    condition = _compile(source)
    with pytest.raises(CelEvaluationError) as caught:
        condition.evaluate(values)
    assert caught.value.line is None and caught.value.message


def test_null_can_be_tested_for():
    condition = _compile("recencyDays == null || recencyDays > 30")
    assert condition.evaluate({"recencyDays": None}) is True
    assert condition.evaluate({"recencyDays": 10}) is False


@pytest.mark.parametrize("before", [
    r"'\\' == 'x'",  # an escaped backslash before the closing quote
    r"'\'' == 'x'",  # an escaped quote
    "\"\"\"it's\"\"\" == 'x'",  # a quote inside a triple-quoted string
    r"r'\' == 'x'",  # a raw string ending in a backslash
    r"b'\x27' == b'x'",  # a quote written as an escape
    "'map(' == 'x' // map(\n",
])
def test_strings_and_comments_never_hide_a_loop(before):
    """Calls are found outside string literals and comments: no literal can hide one."""
    with pytest.raises(CelNotAllowed, match=r"^map\(\) is not available"):
        compile_expression(before + " || [1].map(x, 1) == [1]", variables=set())


@pytest.mark.parametrize("source", [
    "frequency90d >= 3 && homeStoreId == 'st_portland'",
    "monetary365d > 100.5",
    "recencyDays == null",
    "recencyDays > 30",  # null > 30: an evaluation error, bound or not
    "consents.profiling && size(consents) == 2",
    "homeStoreId in ['st_portland', 'st_denver']",
])
def test_values_bound_once_evaluate_like_the_values_themselves(source):
    values = {"frequency90d": 4, "recencyDays": None, "monetary365d": Decimal("100.75"),
              "homeStoreId": "st_portland", "consents": {"profiling": True, "emailMarketing": False}}
    condition = _compile(source)
    bound = bind(values)

    def outcome(given):
        try:
            return condition.evaluate(given)
        except CelEvaluationError:
            return CelEvaluationError

    assert outcome(bound) == outcome(values)
    assert outcome(bound) == outcome(bound)  # a binding is not used up
