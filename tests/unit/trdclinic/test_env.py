import pytest

from trdclinic.env import ConfigurationError, env_bool, env_choice, env_int, env_list, env_str


def test_env_str_missing_without_default_names_the_variable(monkeypatch):
    monkeypatch.delenv("TRD_TEST_VALUE", raising=False)
    with pytest.raises(ConfigurationError, match="TRD_TEST_VALUE must be set"):
        env_str("TRD_TEST_VALUE")


def test_env_str_empty_uses_default(monkeypatch):
    monkeypatch.setenv("TRD_TEST_VALUE", "")
    assert env_str("TRD_TEST_VALUE", "fallback") == "fallback"


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("TRUE", True), ("on", True), ("0", False), ("no", False)]
)
def test_env_bool_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("TRD_TEST_FLAG", raw)
    assert env_bool("TRD_TEST_FLAG", not expected) is expected


def test_env_bool_rejects_other_words(monkeypatch):
    monkeypatch.setenv("TRD_TEST_FLAG", "maybe")
    with pytest.raises(ConfigurationError, match="TRD_TEST_FLAG must be true or false"):
        env_bool("TRD_TEST_FLAG", False)


def test_env_int_rejects_text_and_values_below_minimum(monkeypatch):
    monkeypatch.setenv("TRD_TEST_NUMBER", "ten")
    with pytest.raises(ConfigurationError, match="whole number"):
        env_int("TRD_TEST_NUMBER", 1)
    monkeypatch.setenv("TRD_TEST_NUMBER", "2")
    with pytest.raises(ConfigurationError, match="at least 5"):
        env_int("TRD_TEST_NUMBER", 10, minimum=5)
    monkeypatch.setenv("TRD_TEST_NUMBER", "12")
    assert env_int("TRD_TEST_NUMBER", 10, minimum=5) == 12


def test_env_list_splits_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("TRD_TEST_LIST", " a.example , ,b.example")
    assert env_list("TRD_TEST_LIST", []) == ["a.example", "b.example"]


def test_env_choice_rejects_unknown_word(monkeypatch):
    monkeypatch.setenv("TRD_TEST_MODE", "staging")
    with pytest.raises(ConfigurationError, match="one of production, local"):
        env_choice("TRD_TEST_MODE", ("production", "local"), "production")
