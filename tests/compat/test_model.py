"""One declared internal checked against an owner: parameters, attributes, behaviours."""

from __future__ import annotations

from freqfleet.compat.model import (
    Feature,
    Internal,
    Owner,
    Undo,
    Use,
    assigned_attributes,
    parameters_of,
)

OWNER = Owner("tests.compat.nowhere", "Thing")
FEATURE = (Feature.CONSUMER,)


class Thing:
    label = "a class attribute"

    def __init__(self) -> None:
        self._client = object()
        self._typed: int = 1

    def fetch(self, pair, refresh, *args, side="buy", **kwargs):
        return pair

    def callback(self, trade, proposed_rate, **kwargs):
        return proposed_rate


class Child(Thing):
    def __init__(self) -> None:
        super().__init__()
        self.own = 2


def check(name: str, use: Use, parameters: tuple[str, ...] | None = None, **more) -> str | None:
    return Internal(OWNER, name, use, FEATURE, parameters, **more).problem(Thing)


def test_parameters_leave_out_self_and_variadics():
    assert parameters_of(Thing.fetch) == ("pair", "refresh", "side")
    assert parameters_of(len) == ("obj",)
    assert parameters_of(object()) is None


def test_at_least_the_parameters_freqfleet_passes():
    assert check("fetch", Use.CALL, ("pair", "side")) is None
    assert check("fetch", Use.CALL, ("pair", "ticker")) == "Thing.fetch(pair, ticker)"


def test_exactly_the_parameters_a_replacement_receives():
    assert check("fetch", Use.WRAP, ("pair", "refresh", "side"), exact=True) is None
    assert check("fetch", Use.WRAP, ("pair", "refresh"), exact=True) == "Thing.fetch(pair, refresh)"


def test_one_of_two_parameters():
    assert check("callback", Use.WRAP, ("pair or trade", "proposed_rate")) is None
    assert check("fetch", Use.WRAP, ("trade or order",)) == "Thing.fetch(trade or order)"


def test_a_missing_or_uncallable_function_is_a_problem():
    assert check("gone", Use.CALL, ()) == "Thing.gone()"
    assert check("label", Use.CALL) == "Thing.label"


def test_an_attribute_is_found_on_the_class_or_set_by_its_source():
    assert check("label", Use.READ) is None
    assert check("_client", Use.READ) is None
    assert check("_typed", Use.WRITE) is None
    assert check("_server", Use.READ) == "Thing._server"
    assert assigned_attributes(Child) >= {"own", "_client", "_typed"}


def test_a_behaviour_is_the_owners_answer():
    relied = Internal(OWNER, "fetch", Use.RELY, FEATURE, behaviour=lambda owner: owner is Thing,
                      relied_on="returning the pair")  # fmt: skip
    assert relied.problem(Thing) is None
    assert relied.problem(Child) == "Thing.fetch returning the pair"


def test_an_owner_that_cannot_be_imported_is_a_problem():
    internal = Internal(Owner("freqtrade.no_such_module", "X"), "y", Use.CALL, FEATURE, ())
    assert internal.problem() == "X.y()"
    module = Internal(Owner("freqtrade.misc"), "no_such_function", Use.CALL, FEATURE)
    assert module.problem() == "freqtrade.misc.no_such_function"


def test_found_replaces_the_owners_attribute():
    internal = Internal(OWNER, "fetch", Use.WRAP, FEATURE, ("pair",), undo=Undo.RESTORE)
    assert internal.problem(Thing, found=lambda other: None) == "Thing.fetch(pair)"
    assert internal.problem(Thing, found=Thing.fetch) is None
