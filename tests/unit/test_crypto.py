import pytest

from consent_store.crypto import Cipher, DecryptionFailed, KeyRing


@pytest.fixture
def keyring() -> KeyRing:
    return KeyRing(b"m" * 32, b"s" * 32)


def test_data_keys_are_wrapped_and_bound_to_their_owner(keyring: KeyRing) -> None:
    cipher, wrapped = keyring.new_data_key("subject-1")
    blob = cipher.encrypt_text("anna@example.org", b"contact:1")
    assert b"anna" not in blob and b"anna" not in wrapped
    assert keyring.unwrap(wrapped, "subject-1").decrypt_text(blob, b"contact:1") == "anna@example.org"
    with pytest.raises(DecryptionFailed):
        keyring.unwrap(wrapped, "subject-2")  # a wrapped key copied to another owner is useless


def test_ciphertext_is_bound_to_its_place_and_detects_tampering(keyring: KeyRing) -> None:
    cipher, _ = keyring.new_data_key("s")
    blob = cipher.encrypt(b"secret", b"here")
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(blob, b"elsewhere")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(tampered, b"here")
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(b"short", b"here")
    assert cipher.encrypt(b"same", b"a") != cipher.encrypt(b"same", b"a")  # fresh nonce each time


def test_another_master_key_cannot_unwrap(keyring: KeyRing) -> None:
    _, wrapped = keyring.new_data_key("s")
    with pytest.raises(DecryptionFailed):
        KeyRing(b"x" * 32, b"s" * 32).unwrap(wrapped, "s")


def test_blind_index_is_deterministic_keyed_and_separated_by_kind(keyring: KeyRing) -> None:
    index = keyring.blind_index("email", "anna@example.org")
    assert index == keyring.blind_index("email", "anna@example.org")
    assert index != keyring.blind_index("phone", "anna@example.org")
    assert index != KeyRing(b"x" * 32, b"s" * 32).blind_index("email", "anna@example.org")
    assert "anna" not in index and len(index) == 64
    assert keyring.suppression_hash("anna@example.org") != index


def test_cipher_round_trips_any_text() -> None:
    cipher = Cipher(b"k" * 32)
    text = "naïve 🙂 \ud800 mixed"  # a lone surrogate must survive, not crash
    assert cipher.decrypt_text(cipher.encrypt_text(text, b""), b"") == text
