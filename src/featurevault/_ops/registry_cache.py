"""A read-through cache of the registry's newest version, with the state readers need beside it.

Readers (online reads, token checks, the server) see an apply made by another
process within ``cache_ttl_seconds`` without a restart. A check is one read
transaction (:meth:`Registry.read_current`): the newest version number, that
version's definitions when they changed, and the state namespaces the cache
keeps (tokens, materialization times). The result becomes one immutable
:class:`CachedRegistry`, swapped in with a single assignment, so a reader
always gets a version with its own definitions and state, never a mix.

When the registry cannot be reached, the last good copy keeps serving and
``stale`` says so, for at most ``max_staleness_seconds``; past that, reads
raise :class:`~featurevault.errors.RegistryUnavailableError` until the registry
answers again.

By default a reader whose copy is older than the TTL checks the registry itself
(bounded by the registry's read timeout). The server calls
:meth:`RegistryCache.start_background_refresh` instead: a daemon thread checks
every TTL and readers never wait for the registry, so a hanging registry cannot
hold up a request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from featurevault._backends.registry.base import Current, Registry
from featurevault.errors import FeatureVaultError, RegistryError, RegistryUnavailableError, describe_error
from featurevault._model import RepoContents

logger = logging.getLogger(__name__)

#: loaders for kinds stored beside the core ones (permissions, ...): kind -> from_dict
EXTRA_KINDS: dict[str, Any] = {}

_NEVER = float("inf")
#: a reader may ask for an early check (a token the copy does not know yet) at most this often
EARLY_CHECK_INTERVAL = 1.0


@dataclass(frozen=True)
class CachedRegistry:
    """One registry version with its definitions and the cached state namespaces, as read together."""

    version: int
    contents: RepoContents
    state: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


class RegistryCache:
    """The project's current definitions, checked at most every ``ttl_seconds``."""

    def __init__(
        self,
        registry: Registry,
        project: str,
        ttl_seconds: float,
        *,
        max_staleness_seconds: float | None = 600.0,
        state_namespaces: tuple[str, ...] = (),
    ) -> None:
        self.registry = registry
        self.project = project
        self.ttl_seconds = ttl_seconds
        self.max_staleness_seconds = max_staleness_seconds
        self.state_namespaces = tuple(state_namespaces)
        self.stale = False
        self.last_error: str | None = None
        self._current: CachedRegistry | None = None
        self._checked_at = float("-inf")  # monotonic time of the last check, good or not
        self._confirmed_at = time.time()  # wall time the copy was last confirmed current
        self._serve_until = _NEVER  # monotonic time past which a stale copy is refused
        self._lock = threading.Lock()
        self._refresher: threading.Thread | None = None
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._early: Future[bool] | None = None  # an early check asked for and not done yet
        self._early_at = float("-inf")

    # -- readers ------------------------------------------------------------------------------

    def current(self) -> CachedRegistry:
        """The cached version, definitions and state (loaded on first use)."""
        now = time.monotonic()
        if self._refresher is None and now - self._checked_at >= self.ttl_seconds:
            self.refresh()
        current = self._current
        if current is None:
            if self._refresher is not None:
                raise RegistryUnavailableError(f"registry of {self.project!r} not loaded yet: {self.last_error}")
            self.refresh(force=True)
            current = self._current
            assert current is not None
        if now > self._serve_until:
            raise self._too_stale()
        return current

    def contents(self) -> RepoContents:
        """The current definitions (possibly up to ``ttl_seconds`` old)."""
        return self.current().contents

    def versioned_contents(self) -> tuple[int, RepoContents]:
        """(version, contents) of one snapshot: the version number keys caches built from the contents."""
        current = self.current()
        return current.version, current.contents

    def state(self, namespace: str) -> Mapping[str, Any]:
        """A cached state namespace (one of ``state_namespaces``): key -> value."""
        return self.current().state.get(namespace, {})

    @property
    def version(self) -> int:
        current = self._current
        return current.version if current is not None else 0

    @property
    def age_seconds(self) -> float:
        """Seconds since the cache last confirmed it holds the newest version."""
        return max(0.0, time.time() - self._confirmed_at)

    @property
    def loaded(self) -> bool:
        return self._current is not None

    @property
    def refreshing_in_background(self) -> bool:
        return self._refresher is not None

    def status(self) -> dict[str, Any]:
        """What /ready and the logs report: version, age, staleness and its limit."""
        return {
            "version": self.version,
            "loaded": self.loaded,
            "age_seconds": round(self.age_seconds, 3),
            "stale": self.stale,
            "max_staleness_seconds": self.max_staleness_seconds,
            "serving": self.loaded and time.monotonic() <= self._serve_until,
            "error": self.last_error,
        }

    # -- checking the registry --------------------------------------------------------------------

    def refresh(self, force: bool = False) -> None:
        """Check the registry now (``force``) or when the copy is older than the TTL.

        A failure keeps the last good copy (and marks it stale); without one it raises.
        """
        with self._lock:
            if not force and time.monotonic() - self._checked_at < self.ttl_seconds:
                return
            self._check(reload=force)

    def _check(self, reload: bool) -> None:
        """One read of the registry (the caller holds the lock); ``reload`` re-parses unchanged contents too."""
        previous = self._current
        known = None if reload or previous is None else previous.version
        try:
            fresh = self._read(known, previous)
        except FeatureVaultError as exc:
            self._failed(exc)
            if previous is None:
                raise
            return
        self._current = fresh  # one assignment: readers see the old copy or the new one
        self._confirmed(fresh)

    def _read(self, known: int | None, previous: CachedRegistry | None) -> CachedRegistry:
        read = self.registry.read_current(self.project, known_version=known, namespaces=self.state_namespaces)
        if read.snapshot is None and read.version and previous is not None and read.version == previous.version:
            return CachedRegistry(read.version, previous.contents, read.state)
        return CachedRegistry(read.version, self._parse(read), read.state)

    def _parse(self, read: Current) -> RepoContents:
        if read.snapshot is None:
            return RepoContents()
        try:
            return RepoContents.from_dict(read.snapshot.contents, EXTRA_KINDS)
        except FeatureVaultError:
            raise
        except Exception as exc:
            raise RegistryError(
                f"registry version {read.version} of project {self.project!r} cannot be read: {exc}"
            ) from exc

    def _confirmed(self, fresh: CachedRegistry) -> None:
        if self.stale:
            logger.warning(
                "registry of %s reachable again after %.0fs; serving version %s",
                self.project,
                self.age_seconds,
                fresh.version,
            )
        self.stale = False
        self.last_error = None
        self._checked_at = time.monotonic()
        self._confirmed_at = time.time()
        limit = self.max_staleness_seconds
        self._serve_until = _NEVER if limit is None else self._checked_at + limit
        logger.debug("registry of %s confirmed at version %s", self.project, fresh.version)

    def _failed(self, exc: FeatureVaultError) -> None:
        self._checked_at = time.monotonic()
        self.last_error = describe_error(exc)
        if self._current is None:
            return
        if not self.stale:
            limit = "without limit" if self.max_staleness_seconds is None else f"up to {self.max_staleness_seconds:g}s"
            logger.warning(
                "registry unreachable (%s); serving the last good copy (version %s) %s (registry.max_staleness_seconds)",
                exc,
                self.version,
                limit,
            )
        elif self._checked_at > self._serve_until:
            logger.error("%s", self._too_stale())
        self.stale = True

    def _too_stale(self) -> RegistryUnavailableError:
        return RegistryUnavailableError(
            f"registry of {self.project!r} unreachable for {self.age_seconds:.0f}s, longer than "
            f"registry.max_staleness_seconds ({self.max_staleness_seconds:g}); the last good copy (version "
            f"{self.version}) is no longer served: {self.last_error}"
        )

    def check_soon(self) -> Future[bool]:
        """Ask for a check before the TTL is up (a reader met a token its copy lacks).

        The future says whether a check ran and succeeded. At most one early check a
        second: callers in between share the pending one, or get False at once. With a
        background thread the check runs there, so the caller can await it off its loop.
        """
        with self._lock:
            if self._early is not None:
                return self._early
            now = time.monotonic()
            if now - self._early_at < EARLY_CHECK_INTERVAL:
                done: Future[bool] = Future()
                done.set_result(False)
                return done
            self._early_at = now
            future: Future[bool] = Future()
            self._early = future
        if self._refresher is not None:
            self._wake.set()
        else:
            self._finish_early(self._try_check())
        return future

    def _try_check(self) -> bool:
        with self._lock:
            try:
                self._check(reload=False)
            except FeatureVaultError:
                return False
        return not self.stale

    def _finish_early(self, ok: bool) -> None:
        with self._lock:
            future, self._early = self._early, None
        if future is not None:
            future.set_result(ok)

    def invalidate(self) -> None:
        """Check again on the next read (after this process applied), or now in the background."""
        self._checked_at = float("-inf")
        self._wake.set()

    # -- background refresh -------------------------------------------------------------------------

    def start_background_refresh(self) -> None:
        """Check the registry from a daemon thread every TTL; readers then never wait for it."""
        with self._lock:
            if self._refresher is not None:
                return
            self._stopped.clear()
            self._refresher = threading.Thread(target=self._refresh_loop, name="featurevault-registry", daemon=True)
            self._refresher.start()

    def _refresh_loop(self) -> None:
        reported = None
        while not self._stopped.is_set():
            ok = False
            try:
                ok = self._try_check()
                if not self.loaded and self.last_error != reported:  # no copy yet: retried below
                    logger.warning("registry of %s not loaded yet: %s", self.project, self.last_error)
                    reported = self.last_error
            except Exception:  # the thread must survive anything a registry throws
                logger.exception("registry check failed")
            self._finish_early(ok)
            wait = self.ttl_seconds if self._current is not None else min(self.ttl_seconds, 1.0)
            self._wake.wait(max(wait, 0.05))
            self._wake.clear()

    def stop_background_refresh(self) -> None:
        thread = self._refresher
        if thread is None:
            return
        self._stopped.set()
        self._wake.set()
        thread.join(timeout=1.0)
        self._refresher = None

    def close(self) -> None:
        self.stop_background_refresh()
        self.registry.close()
