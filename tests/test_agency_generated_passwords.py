"""Generated initial passwords are hashed with fewer PBKDF2 rounds, so a roster of a few hundred
imports in seconds, and re-hashed at full strength at the first sign-in (issue 18 §3)."""

from __future__ import annotations

import pytest
from django.conf import global_settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import override_settings

from avrecords.agency import people

pytestmark = pytest.mark.django_db

PRODUCTION_HASHERS = global_settings.PASSWORD_HASHERS  # avrecords.settings keeps Django's


def rounds(encoded: str) -> int:
    algorithm, iterations, *_ = encoded.split("$")
    assert algorithm == "pbkdf2_sha256"
    return int(iterations)


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_a_generated_password_is_hashed_cheaply_and_strengthened_at_first_sign_in(org):
    person, password = people.create_person(
        org.sysadmin, username="lina", full_name="李娜", unit=org.squad2
    )
    person.refresh_from_db()
    assert rounds(person.password) == people.GENERATED_HASH_ITERATIONS
    assert authenticate(username="lina", password=password) is not None
    person.refresh_from_db()
    assert rounds(person.password) == PBKDF2PasswordHasher.iterations
    assert authenticate(username="lina", password=password) is not None


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_a_chosen_password_gets_the_full_strength_at_once(org):
    person, _ = people.create_person(
        org.sysadmin,
        password="Cangshan-2026-initial",
        username="lina",
        full_name="李娜",
        unit=org.squad2,
    )
    person.refresh_from_db()
    assert rounds(person.password) == PBKDF2PasswordHasher.iterations


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_a_reset_password_is_generated_too(org):
    person, _ = people.create_person(
        org.sysadmin, username="lina", full_name="李娜", unit=org.squad2
    )
    password = people.reset_password(org.sysadmin, person)
    person.refresh_from_db()
    assert rounds(person.password) == people.GENERATED_HASH_ITERATIONS
    assert authenticate(username="lina", password=password) is not None
