"""The second-factor services against the real database: codes, the login steps' counting."""

import pytest

from mfa import services as mfa
from mfa.codes import code_hash, new_codes, normalise
from mfa.errors import AlreadyEnrolled, InvalidCode, NotEnrolled, WrongPassword
from users import services
from users.models import User

from ..factories import PASSWORD
from .conftest import enrol, totp_code

pytestmark = pytest.mark.django_db


def test_recovery_codes_are_ten_distinct_50_bit_codes():
    codes = new_codes()
    assert len(set(codes)) == 10
    assert all(len(normalise(c)) == 10 and c[5] == "-" for c in codes)


def test_a_recovery_code_is_found_however_it_is_typed(enrolled_member):
    code = enrolled_member.codes[2]
    typed = f"  {code.upper().replace('-', ' ')} "
    assert mfa.verify_code(user=enrolled_member, code=typed) is not None
    assert mfa.verify_code(user=enrolled_member, code=code) is None


def test_the_hash_depends_on_the_user():
    assert code_hash("a", "abcde-fghij") != code_hash("b", "abcde-fghij")
    assert code_hash("a", "ABCDE FGHIJ") == code_hash("a", "abcdefghij")


@pytest.mark.parametrize("code", ["", "   ", "12345", "1234567", "abc", "x" * 32])
def test_nonsense_is_no_code(enrolled_member, code):
    assert mfa.verify_code(user=enrolled_member, code=code) is None


def test_enrolment_rules(verified_user):
    pending = mfa.totp_pending(user=verified_user)
    assert mfa.totp_pending(user=verified_user).pk == pending.pk  # the same key until confirmed
    with pytest.raises(WrongPassword):
        mfa.totp_confirm(user=verified_user, password="nope", code=totp_code(pending))
    with pytest.raises(InvalidCode):
        mfa.totp_confirm(user=verified_user, password=PASSWORD, code="000000")
    device, codes = mfa.totp_confirm(user=verified_user, password=PASSWORD, code=totp_code(pending))
    assert device.confirmed and len(codes) == 10
    with pytest.raises(AlreadyEnrolled):
        mfa.totp_confirm(user=verified_user, password=PASSWORD, code=totp_code(device, 1))
    assert mfa.user_has_factor(verified_user)


def test_without_a_factor_nothing_to_remove_or_regenerate(verified_user):
    with pytest.raises(NotEnrolled):
        mfa.totp_remove(user=verified_user, password=PASSWORD, code="000000")
    with pytest.raises(NotEnrolled):
        mfa.recovery_codes_regenerate(user=verified_user, password=PASSWORD, code="000000")


def test_the_password_step_keeps_the_attempt_until_the_second_step(enrolled_member):
    user, pending = services.user_login_first_step(email=enrolled_member.email, password=PASSWORD)
    assert pending
    assert User.objects.get(pk=user.pk).failed_login_attempts == 1
    services.user_login_second_step(user=user, code=totp_code(enrolled_member.device))
    assert User.objects.get(pk=user.pk).failed_login_attempts == 0


def test_another_method_gives_the_attempt_back(enrolled_member):
    user, _ = services.user_login_first_step(email=enrolled_member.email, password=PASSWORD)
    services.user_login_completed(user=user)
    fresh = User.objects.get(pk=user.pk)
    assert fresh.failed_login_attempts == 0 and fresh.last_login_at is not None


def test_without_a_factor_the_first_step_is_the_whole_login(verified_user):
    user, pending = services.user_login_first_step(email=verified_user.email, password=PASSWORD)
    assert not pending and User.objects.get(pk=user.pk).failed_login_attempts == 0


def test_only_an_admin_resets_factors(enrolled_member, manager_user, admin_user):
    with pytest.raises(services.NotAllowedToReset):
        services.user_reset_factors(actor=manager_user, user=enrolled_member)
    assert mfa.user_has_factor(enrolled_member)
    assert services.user_reset_factors(actor=admin_user, user=enrolled_member) == 2
    assert not mfa.user_has_factor(enrolled_member)


def test_enrol_helper_leaves_the_current_code_unused(verified_user):
    device, _ = enrol(verified_user)
    assert mfa.verify_code(user=verified_user, code=totp_code(device)) == device
