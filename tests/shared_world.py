"""Rows built once for a test module, and clients signed in without a sign-in per request.

The security walks and fuzzers send thousands of requests, each in a savepoint rolled back
afterwards, against a handful of objects that no request may keep changing: building those
objects for every test, and signing in (a session row, and the authenticator the rollback of the
previous request removed again) for every request, cost about a quarter of their CPU. Here the
objects and one verified session per user are made once, in a transaction rolled back after the
module, like the demo clinic (tests/conftest.py); each test runs in its own savepoint inside it
and each request in one more, so a request still starts from exactly the rows it started from
before, and what it changes, its session included, is gone before the next.
"""

import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.test.client import ClientHandler
from pytest_django import DjangoDbBlocker

from tests.two_factor import verified_login, verified_session

World = TypeVar("World")


def built_for_module(
    django_db_blocker: DjangoDbBlocker, build: Callable[[], World]
) -> Iterator[World]:
    """Yield the rows `build` makes, inside a transaction rolled back after the module's tests.

    For a module-scoped fixture; its tests take `db` too, so each runs in a savepoint of its
    own (pytest-django nests the atomic blocks). The module must have no transactional test.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield world
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


class Sessions:
    """A verified session for each user, made once; a fresh test client per request holding it.

    A request rolled back in its savepoint rolls its session's changes back too (sessions live
    in the database), so the next request finds the session as signed in. The session's idle
    timeout runs from its creation here (no renewal survives the rollbacks): past half of it, a
    client signs in afresh, as `verified_login` would, rather than risk an expired session.
    The clients share one request handler, as a server's requests do: each new handler built
    the middleware chain again at its first request.
    """

    def __init__(self) -> None:
        self._made: dict[int, tuple[str, float]] = {}
        self._handler = ClientHandler(enforce_csrf_checks=False)

    def sign_in(self, *users: User) -> "Sessions":
        """Make each user's authenticator and session now, outside the requests' savepoints."""
        for user in users:
            self._made[user.pk] = (verified_session(user), time.monotonic())
        return self

    def client(self, user: User | None) -> Client:
        """Return a new test client, signed in past the second factor as the user (None: not)."""
        client = Client()
        client.handler = self._handler
        if user is None:
            return client
        key, made = self._made.get(user.pk, ("", 0.0))
        if not key or time.monotonic() - made > settings.SESSION_COOKIE_AGE / 2:
            return verified_login(client, user)
        client.cookies[settings.SESSION_COOKIE_NAME] = key
        return client
