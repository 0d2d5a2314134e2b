"""Limits of the board sockets that hold across sockets and server processes.

The consumer's token bucket is per connection: a guest who opened five sockets had five
budgets (a review sent 268 cards in 8 s). Two limits live here instead, counted in the cache,
which is Redis shared by every Daphne process in production (local memory on a laptop):

- `CommandBudget`: commands per participant per fixed window, all their sockets together;
- `AddressSockets`: open sockets per client address that are not (or not yet) a logged-in
  person's, so that no one holds thousands of sockets from one address. The room's wifi is one
  address for everyone, hence a generous cap.

Neither ever drops a command silently: a refused command is answered `rate_limited` and the
client sends it again later; a socket over the cap is told why and closed before its `hello`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache

from consultation.ratelimit import client_address, count_hit, parse_rate

logger = logging.getLogger(__name__)

# Each process adds its open sockets again at every window: those of a process that died
# stop counting within one window; a socket that closes is subtracted at once.
SOCKET_WINDOW = 60  # seconds
_KNOWN_SPENT_MAX = 10_000  # participants remembered as over their budget, per process


class CommandBudget:
    """At most `rate` (e.g. "60/m") commands per participant, whatever the socket or process.

    Counted in the cache per fixed window. A participant already over in this window is
    refused by this process without asking the cache again (a flood costs no round trip)."""

    def __init__(self, rate: str):
        self.limit, self.period = parse_rate(rate)
        self._spent: dict[int, int] = {}  # participant -> window they are known over in

    def allow(self, participant_id: int) -> bool:
        """Count one command; False past the budget. Does cache I/O: call off the loop."""
        window = int(time.time() // self.period)
        if self._spent.get(participant_id) == window:
            return False
        try:
            hits = count_hit(f"live:commands:{participant_id}:{window}", self.period)
        except Exception:  # the cache is down: the per-socket bucket still holds
            logger.warning("commands of participant %s not counted", participant_id, exc_info=True)
            return True
        if hits <= self.limit:
            return True
        if len(self._spent) >= _KNOWN_SPENT_MAX:
            self._spent.clear()
        self._spent[participant_id] = window
        return False


_budgets: dict[str, CommandBudget] = {}


def command_budget(staff: bool) -> CommandBudget:
    """The budget of a participant or of the staff (who sort and move every card)."""
    rate = settings.RATE_LIMITS["live_commands_staff" if staff else "live_commands"]
    budget = _budgets.get(rate)
    if budget is None:
        budget = _budgets[rate] = CommandBudget(rate)
    return budget


class _Meta:
    """What `client_address` reads of a request, taken from an ASGI scope."""

    def __init__(self, scope: dict):
        headers = dict(scope.get("headers") or [])
        client = scope.get("client") or ("", 0)
        self.META = {
            "REMOTE_ADDR": client[0] or "",
            "HTTP_X_FORWARDED_FOR": headers.get(b"x-forwarded-for", b"").decode("latin-1"),
        }


def socket_address(scope: dict) -> str:
    """The address a socket counts against, read as the HTTP rate limits read it."""
    return client_address(_Meta(scope))


def _key(address: str, window: int) -> str:
    return f"live:sockets:{address}:{window}"


def _add(address: str, window: int, delta: int) -> int:
    key, timeout = _key(address, window), 2 * SOCKET_WINDOW
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key, delta)
    except ValueError:  # expired between add and incr
        cache.set(key, delta, timeout=timeout)
        return delta


def _subtract(address: str, window: int) -> None:
    with contextlib.suppress(ValueError):  # the window's key expired: nothing to subtract
        cache.decr(_key(address, window))


class AddressSockets:
    """This process's counted sockets per address, and their total across processes.

    One per event loop (`for_running_loop`). Cache calls run in a thread, one at a time
    (`_lock`): the local counts and the cache stay in step, and a slow Redis never stalls the
    loop that delivers board events."""

    def __init__(self):
        self.local: Counter[str] = Counter()
        self.renewed: int | None = None  # the window this process's counts were last added to
        self._lock = asyncio.Lock()
        self._renewing: asyncio.Task | None = None

    @staticmethod
    def _window() -> int:
        return int(time.time() // SOCKET_WINDOW)

    async def acquire(self, address: str) -> bool:
        """Count one socket from `address`; False (and not counted) when over the cap."""
        cap = settings.LIVE_GUEST_SOCKETS_PER_ADDRESS
        async with self._lock:
            try:
                accepted = await sync_to_async(self._acquire, thread_sensitive=False)(address, cap)
            except Exception:  # the cache is down: let people in rather than lock the room out
                logger.warning("open sockets of %s not counted", address, exc_info=True)
                return True
            if accepted:
                self.local[address] += 1
                self._keep_renewing()
            return accepted

    def _acquire(self, address: str, cap: int) -> bool:
        window = self._renew(self._window())
        if _add(address, window, 1) <= cap:
            return True
        _subtract(address, window)
        return False

    async def release(self, address: str) -> None:
        async with self._lock:
            if self.local[address] <= 0:
                return
            self.local[address] -= 1
            if self.local[address] == 0:
                del self.local[address]
            try:
                await sync_to_async(self._release, thread_sensitive=False)(address)
            except Exception:  # expires with its window
                logger.warning("closed socket of %s not subtracted", address, exc_info=True)
            if not self.local and self._renewing is not None:
                self._renewing.cancel()
                self._renewing = None

    def _release(self, address: str) -> None:
        window = self.renewed
        self._renew(self._window())
        if window == self.renewed:  # counted there (else the renewal just left it out)
            _subtract(address, window)

    def _renew(self, window: int) -> int:
        """Add this process's sockets to `window` once (they expire with the previous one)."""
        if self.renewed != window:
            for address, count in self.local.items():
                _add(address, window, count)
            self.renewed = window
        return window

    def _keep_renewing(self) -> None:
        if self._renewing is None:
            self._renewing = asyncio.ensure_future(self._renew_at_each_window())

    async def _renew_at_each_window(self) -> None:
        while True:
            await asyncio.sleep(SOCKET_WINDOW - time.time() % SOCKET_WINDOW + 0.01)
            async with self._lock:
                try:
                    await sync_to_async(self._renew, thread_sensitive=False)(self._window())
                except Exception:
                    logger.warning("open sockets not renewed", exc_info=True)


_address_sockets: dict[asyncio.AbstractEventLoop, AddressSockets] = {}


def address_sockets() -> AddressSockets:
    """This process's count of open sockets per address (one per event loop)."""
    loop = asyncio.get_running_loop()
    found = _address_sockets.get(loop)
    if found is None:
        for old in [old for old in _address_sockets if old.is_closed()]:
            del _address_sockets[old]
        found = _address_sockets[loop] = AddressSockets()
    return found
