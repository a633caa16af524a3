"""The settings a crashing program reads before it forks its reporter agree with config.load(), the oracle."""

from __future__ import annotations

import itertools
import json

import pytest

from autoheal import config as config_module
from autoheal.hooks import early

WORDS = ["1", "0", "true", "False", " yes ", "off", "", "maybe", "sync", "background", "auto", "SYNC"]
FILE_VALUES = [None, True, False, "on", "no", "sync", "background", 1, "bogus"]


@pytest.mark.parametrize(("name", "word", "file_value"), list(itertools.product(early.VARIABLES, WORDS, FILE_VALUES)))
def test_early_settings_agree_with_config_load(tmp_path, monkeypatch, name, word, file_value):
    config_file = tmp_path / "config.json"
    if file_value is not None:
        config_file.write_text(json.dumps({name: file_value, "repo": "octo/hello"}))
    environ = {"AUTOHEAL_CONFIG": str(config_file), "AUTOHEAL_STATE_DIR": str(tmp_path), early.VARIABLES[name]: word}
    for variable in early.VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    quick = early.settings()
    try:
        full = config_module.load(environ)
    except config_module.ConfigError:
        assert quick is None  # not sure: the caller loads the full settings, which say why
        return
    if quick is not None:
        assert quick == {key: getattr(full, key) for key in early.VARIABLES}


def test_early_settings_do_not_guess_at_a_broken_file(tmp_path, monkeypatch):
    (tmp_path / "config.json").write_text("{not json")
    monkeypatch.setenv("AUTOHEAL_CONFIG", str(tmp_path / "config.json"))
    assert early.settings() is None
