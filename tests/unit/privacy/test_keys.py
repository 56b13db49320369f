import hashlib
import hmac
import os
import stat

import pytest

from pipelines.privacy.keys import (
    DEMO_KEY,
    KeyConfigurationError,
    PseudonymisationKey,
    load_key,
    token,
    tokens,
)

STRONG = "k" * 20 + "Z9x" * 10  # 50 bytes


def test_demo_mode_without_key_uses_demo_key():
    key = load_key({})
    assert key.key == DEMO_KEY.encode()
    assert key.is_demo
    assert key.key_id == hashlib.sha256(DEMO_KEY.encode()).hexdigest()[:12]


def test_repr_and_str_hide_the_key():
    key = load_key({"HFC_PSEUDONYMISATION_KEY": STRONG})
    assert STRONG not in repr(key)
    assert STRONG not in str(key)
    assert key.key_id in repr(key)


def test_key_id_must_match_key():
    with pytest.raises(KeyConfigurationError):
        PseudonymisationKey(b"abc", key_id="000000000000")


def test_inline_key_is_read_and_stripped():
    key = load_key({"HFC_PSEUDONYMISATION_KEY": f"  {STRONG}\n", "HFC_MODE": "production"})
    assert key.key == STRONG.encode()


@pytest.mark.parametrize(
    "env",
    [
        {"HFC_MODE": "production"},
        {"HFC_MODE": "production", "HFC_PSEUDONYMISATION_KEY": DEMO_KEY},
        {"HFC_MODE": "production", "HFC_PSEUDONYMISATION_KEY": "short-secret-value"},
        {"HFC_MODE": "PRODUCTION ", "HFC_PSEUDONYMISATION_KEY": "short-secret-value"},
    ],
)
def test_production_refusals_never_quote_the_key(env):
    with pytest.raises(KeyConfigurationError) as info:
        load_key(env)
    message = str(info.value)
    assert "short-secret-value" not in message
    assert DEMO_KEY not in message


def test_short_key_allowed_in_demo_mode():
    assert load_key({"HFC_PSEUDONYMISATION_KEY": "short"}).key == b"short"


def test_both_sources_refused(tmp_path):
    path = tmp_path / "k"
    path.write_text(STRONG)
    with pytest.raises(KeyConfigurationError, match="only one"):
        load_key({"HFC_PSEUDONYMISATION_KEY": STRONG, "HFC_PSEUDONYMISATION_KEY_FILE": str(path)})


def test_bad_mode_refused():
    with pytest.raises(KeyConfigurationError):
        load_key({"HFC_MODE": "prod"})


def test_key_file_private_ok_in_production(tmp_path):
    path = tmp_path / "key"
    path.write_text(STRONG + "\n")
    os.chmod(path, 0o600)
    key = load_key({"HFC_MODE": "production", "HFC_PSEUDONYMISATION_KEY_FILE": str(path)})
    assert key.key == STRONG.encode()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_key_file_readable_by_others_refused_in_production(tmp_path, mode):
    path = tmp_path / "key"
    path.write_text(STRONG)
    os.chmod(path, mode)
    with pytest.raises(KeyConfigurationError) as info:
        load_key({"HFC_MODE": "production", "HFC_PSEUDONYMISATION_KEY_FILE": str(path)})
    assert STRONG not in str(info.value)
    # demo mode tolerates it
    assert load_key({"HFC_PSEUDONYMISATION_KEY_FILE": str(path)}).key == STRONG.encode()
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_missing_key_file_refused(tmp_path):
    with pytest.raises(KeyConfigurationError):
        load_key({"HFC_PSEUDONYMISATION_KEY_FILE": str(tmp_path / "absent")})


def test_token_is_domain_separated_hmac():
    key = PseudonymisationKey(STRONG.encode())
    expected = hmac.new(STRONG.encode(), b"person\x1f9434765919", hashlib.sha256).hexdigest()[:32]
    assert token(key, "9434765919", "person") == expected
    assert token(key, "9434765919", "record:police_incidents") != expected
    assert len(expected) == 32


def test_token_depends_on_key():
    a = PseudonymisationKey(b"a" * 32)
    b = PseudonymisationKey(b"b" * 32)
    assert token(a, "x", "person") != token(b, "x", "person")


def test_domain_cannot_smuggle_separator():
    key = PseudonymisationKey(b"a" * 32)
    with pytest.raises(ValueError):
        token(key, "x", "person\x1fx")
    with pytest.raises(ValueError):
        token(key, "x", "")


def test_tokens_vectorised_matches_scalar_and_keeps_missing():
    key = PseudonymisationKey(b"a" * 32)
    values = ["x", None, "y", "x", float("nan")]
    out = tokens(key, values, "person")
    assert out == [token(key, "x", "person"), None, token(key, "y", "person"), token(key, "x", "person"), None]


def test_tokens_keeps_pandas_na():
    pd = pytest.importorskip("pandas")
    key = PseudonymisationKey(b"a" * 32)
    assert tokens(key, pd.Series(["x", pd.NA, None], dtype="string"), "person")[1:] == [None, None]


def test_tokens_refuses_non_strings_without_quoting():
    key = PseudonymisationKey(b"a" * 32)
    with pytest.raises(TypeError) as info:
        tokens(key, [9434765919], "person")
    assert "9434765919" not in str(info.value)
