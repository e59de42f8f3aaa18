from app.pins.codes import is_trivial, new_code


def test_trivial_codes_are_detected():
    for code in ("000000", "999999", "123456", "654321", "789012", "210987", "0123", "3210"):
        assert is_trivial(code), code


def test_ordinary_codes_are_not_trivial():
    for code in ("483920", "112233", "135790", "120345", "998877"):
        assert not is_trivial(code), code


def test_new_code_has_length_and_is_free():
    taken = {"483920", "592013"}
    for _ in range(200):
        code = new_code(6, taken)
        assert len(code) == 6
        assert code.isdigit()
        assert code not in taken
        assert not is_trivial(code)


def test_new_code_rejects_a_full_lock():
    taken = {f"{n:04d}" for n in range(6000)}
    try:
        new_code(4, taken)
    except ValueError as error:
        assert "PIN_LENGTH" in str(error)
    else:
        raise AssertionError("a nearly full lock was not rejected")
