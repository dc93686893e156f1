"""levee.Error and its subclasses (spec/python-api.md)."""
import pytest

import levee
from levee import errors


def test_timeout_is_a_builtin_timeout_error():
    e = errors.error_for(levee.lib.LEVEE_TIMEOUT)
    assert isinstance(e, levee.Timeout) and isinstance(e, TimeoutError)
    assert (e.code, e.domain, e.name, e.msg) == (-10100, "levee", "TIMEOUT", "operation timed out")
    assert str(e) == "operation timed out (levee.TIMEOUT)"


def test_closed():
    e = errors.error_for(-10101)
    assert isinstance(e, levee.Closed) and isinstance(e, levee.Error)
    assert e.msg == "channel is closed"


def test_system_errors_are_oserrors_with_errno():
    e = errors.error_for(-2)
    assert isinstance(e, FileNotFoundError) and isinstance(e, levee.SystemError)
    assert e.errno == 2 and e.name == "ENOENT" and e.domain == "system"
    assert str(e) == "no such file or directory (system.ENOENT)"
    e = errors.error_for(-32)
    assert isinstance(e, BrokenPipeError)
    e = errors.error_for(-111)
    assert isinstance(e, ConnectionRefusedError) and isinstance(e, levee.ConnectionRefused)
    e = errors.error_for(-104)
    assert isinstance(e, ConnectionResetError)
    e = errors.error_for(-11)
    assert isinstance(e, OSError) and e.name == "EAGAIN"


def test_positive_codes_are_normalised():
    assert errors.error_for(2).code == -2


def test_domain_classes():
    assert isinstance(errors.error_for(-1020), levee.JSONError)
    assert isinstance(errors.error_for(-1020), ValueError)
    assert isinstance(errors.error_for(-1010), levee.HTTPError)
    assert isinstance(errors.error_for(-202), levee.AddressError)
    assert isinstance(errors.error_for(-1116), levee.DNSError)
    assert isinstance(errors.error_for(-30001), levee.TLSError)


def test_unknown_code_is_a_plain_error():
    e = errors.error_for(-7777)
    assert type(e) is levee.Error
    assert e.code == -7777 and e.name == "EUNKNOWN"


def test_check_raises_for_negative_and_passes_through_counts():
    assert errors.check(0) == 0
    assert errors.check(12) == 12
    with pytest.raises(levee.Timeout):
        errors.check(-10100)
    with pytest.raises(OSError) as info:
        errors.check(-9)
    assert info.value.errno == 9


def test_is_():
    e = errors.error_for(-32)
    assert e.is_("system", "EPIPE")
    assert not e.is_("system", "ENOENT")


def test_detail_is_appended_to_the_message():
    e = errors.error_for(-1020, "at byte 7")
    assert str(e) == "invalid JSON syntax (json.ESYNTAX): at byte 7"


def test_add_registers_user_errors_once():
    assert errors.add(4100, "pyapp", "EBROKE", "broke") is True
    assert errors.add(4100, "pyapp", "EOTHER", "other") is False
    e = errors.error_for(-4100)
    assert (e.domain, e.name, e.msg) == ("pyapp", "EBROKE", "broke")
    with pytest.raises(OSError):  # |code| < 2000 is reserved: EINVAL
        errors.add(100, "pyapp", "ELOW", "low")
