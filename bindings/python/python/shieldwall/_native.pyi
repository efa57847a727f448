"""Type stubs for the native module (hand-written; checked with `python -m mypy.stubtest`)."""

from collections.abc import Mapping
from typing import Any, Literal, final

__all__ = [
    "ShieldwallError",
    "TextError",
    "LimitError",
    "HiddenReport",
    "NormalizedText",
    "Normalizer",
    "normalize",
    "RateLimiter",
    "Decision",
    "Reservation",
    "__version__",
]

__version__: str

class ShieldwallError(ValueError):
    """Base class of the errors Shieldwall raises for bad input or misuse."""

class TextError(ShieldwallError):
    """An error from the text layer.

    ``kind`` is ``"input_too_large"``, ``"out_of_range"`` or ``"invalid_config"``.
    """

    kind: str

class LimitError(ShieldwallError):
    """An error from the rate limiter.

    ``kind`` is ``"invalid_config"``, ``"missing_scope"``, ``"unknown_limit"``,
    ``"store_full"``, ``"unavailable"`` or ``"already_settled"``.
    """

    kind: str

@final
class HiddenReport:
    """Counts of what normalisation removed, decoded or folded, per class."""

    @property
    def invisible(self) -> int:
        """Zero-width and other invisible format characters removed."""
    @property
    def bidi(self) -> int:
        """Bidirectional control characters removed."""
    @property
    def tag(self) -> int:
        """Tag characters decoded or removed."""
    @property
    def variation_selector(self) -> int:
        """Variation selectors removed."""
    @property
    def control(self) -> int:
        """Control characters removed."""
    @property
    def combining_mark(self) -> int:
        """Combining diacritical marks stripped."""
    @property
    def confusable(self) -> int:
        """Look-alike letters folded to ASCII."""
    @property
    def compatibility(self) -> int:
        """Clusters NFKC changed."""
    @property
    def whitespace(self) -> int:
        """Non-ASCII white space characters seen."""
    @property
    def mixed_script_words(self) -> int:
        """Words mixing ASCII letters with look-alike letters of another script."""
    @property
    def tag_payload(self) -> str:
        """The ASCII text spelled by tag characters, empty if none."""
    def hidden_total(self) -> int:
        """Characters that render as nothing: invisible, bidi, tag, variation selectors, controls."""
    def is_clean(self) -> bool:
        """Whether nothing was hidden or disguised (whitespace and case changes aside)."""
    def to_dict(self) -> dict[str, int | str]:
        """The report as a dict of field name to value."""

@final
class NormalizedText:
    """A normalised view of a text, its map back to the original, and the report."""

    @property
    def text(self) -> str:
        """The normalised text."""
    @property
    def original(self) -> str:
        """The original text."""
    @property
    def report(self) -> HiddenReport:
        """What was removed or folded."""
    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The code point range of the original that the view range ``start:end`` stands for.

        Raises ``TextError`` (kind ``"out_of_range"``) when an offset is negative or the
        range is reversed or ends past the view.
        """

@final
class Normalizer:
    """Turns texts into normalised views; reusable and thread-safe.

    Every step is on by default; pass ``False`` to switch one off. ``max_input_bytes`` (UTF-8
    bytes, default 16 MiB, at most 128 MiB) bounds the input; a value outside that raises
    ``TextError`` (kind ``"invalid_config"``). An unknown option raises ``TypeError``.
    """

    def __new__(
        cls,
        *,
        nfkc: bool | None = None,
        case_fold: bool | None = None,
        remove_invisible: bool | None = None,
        decode_tags: bool | None = None,
        strip_marks: bool | None = None,
        fold_confusables: bool | None = None,
        collapse_whitespace: bool | None = None,
        max_input_bytes: int | None = None,
    ) -> Normalizer: ...
    def normalize(self, text: str) -> NormalizedText:
        """Normalises ``text`` (the GIL is released meanwhile).

        Raises ``TextError`` (kind ``"input_too_large"``) past ``max_input_bytes``.
        """

def normalize(
    text: str,
    *,
    nfkc: bool | None = None,
    case_fold: bool | None = None,
    remove_invisible: bool | None = None,
    decode_tags: bool | None = None,
    strip_marks: bool | None = None,
    fold_confusables: bool | None = None,
    collapse_whitespace: bool | None = None,
    max_input_bytes: int | None = None,
) -> NormalizedText:
    """Normalises ``text``; keyword options are those of ``Normalizer``."""

@final
class Decision:
    """The outcome of a check: allowed or not, how much is left, when to retry, which limit bound."""

    @property
    def allowed(self) -> bool:
        """Whether the call may go ahead."""
    @property
    def status(self) -> Literal["allowed", "limited", "over_capacity"]:
        """``"limited"``: not yet (see ``retry_after``); ``"over_capacity"``: never, the cost exceeds a burst."""
    @property
    def bound(self) -> str | None:
        """The name of the limit that decided (the tightest one when allowed), if any."""
    @property
    def limit(self) -> int:
        """The burst capacity of the bound limit."""
    @property
    def remaining(self) -> int:
        """Units left in the bound limit."""
    @property
    def retry_after(self) -> float | None:
        """Seconds until the call could pass, when limited; otherwise ``None``."""
    @property
    def reset_after(self) -> float:
        """Seconds until the bound limit is full again."""
    @property
    def source(self) -> Literal["store", "fallback", "fail_open", "fail_closed"]:
        """Who answered: the store, the Redis store's fallback, or the failure mode."""
    @property
    def limits(self) -> list[dict[str, Any]]:
        """Every limit's state: ``name``, ``unit``, ``quota``, ``status``, ``remaining``,
        ``retry_after_ms``, ``reset_after_ms``."""
    def headers(self) -> dict[str, str]:
        """The HTTP headers: ``ratelimit-policy``, ``ratelimit``, ``x-ratelimit-*`` and, when
        limited, ``retry-after``."""
    def to_dict(self) -> dict[str, Any]:
        """The decision in the core's JSON form (``retry_after_ms``, ``reset_after_ms`` in whole
        milliseconds, rounded up), as in the test vectors."""
    def __bool__(self) -> bool:
        """Whether the call may go ahead."""

@final
class Reservation:
    """An admitted call's estimate, to be settled with the real usage by ``RateLimiter.settle``."""

    @property
    def decision(self) -> Decision:
        """The decision made when reserving."""
    @property
    def settled(self) -> bool:
        """Whether the reservation was settled or cancelled."""

@final
class RateLimiter:
    """Checks calls against a policy of several limits at once; thread-safe, share one instance.

    ``policy`` is a ``limit::Policy`` as a dict: ``{"limits": [{"name", "scope", "unit",
    "quota": {"rate", "period", "burst"}}], "on_store_error"}``; an unknown field raises
    ``LimitError`` (kind ``"invalid_config"``) naming it. ``redis_url`` keeps the buckets in
    Redis (shared by every process using it, keys prefixed by ``redis_prefix``);
    ``failure_mode`` (``"closed"``, ``"open"`` or ``"error"``) replaces the policy's
    ``on_store_error``; ``clock="manual"`` starts a clock at zero that only ``advance`` moves
    (for tests and replays); ``max_keys`` bounds the in-process store.
    Every call releases the GIL.
    """

    def __new__(
        cls,
        policy: Mapping[str, Any],
        *,
        redis_url: str | None = None,
        redis_prefix: str | None = None,
        failure_mode: Literal["closed", "open", "error"] | None = None,
        clock: Literal["monotonic", "manual"] | None = None,
        max_keys: int | None = None,
    ) -> RateLimiter: ...
    def check(
        self,
        key: str,
        *,
        tokens: int = 0,
        requests: int = 1,
        scopes: Mapping[str, str] | None = None,
    ) -> Decision:
        """Checks a call by API key ``key`` (other scopes such as ``{"account": "acme"}`` in
        ``scopes``) and, when every limit admits it, counts it in all of them.

        Raises ``LimitError`` (kind ``"missing_scope"``) when the policy uses a scope the call
        lacks, and (kind ``"invalid_config"``) for a negative cost.
        """
    def reserve(
        self,
        key: str,
        *,
        tokens: int = 0,
        requests: int = 1,
        scopes: Mapping[str, str] | None = None,
    ) -> Reservation:
        """Like ``check`` with the estimated tokens (prompt + ``max_tokens``); settle it after the call."""
    def peek(self, key: str, *, scopes: Mapping[str, str] | None = None) -> Decision:
        """The state of every limit for these scopes, taking nothing."""
    def settle(self, reservation: Reservation, tokens: int, *, requests: int = 1) -> None:
        """Replaces the reservation's estimate by the real usage, refunding or charging the
        difference. Raises ``LimitError`` (kind ``"already_settled"``) the second time."""
    def cancel(self, reservation: Reservation) -> None:
        """Gives a reservation back in full (the call did not happen)."""
    def set_override(self, limit: str, value: str, quota: Mapping[str, Any]) -> None:
        """Sets a quota (``{"rate", "period", "burst"}``) for one scope value of one limit."""
    def remove_override(self, limit: str, value: str) -> bool:
        """Removes an override; returns whether there was one."""
    def advance(self, ms: int) -> None:
        """Moves the manual clock forward by ``ms`` milliseconds (only with ``clock="manual"``)."""
    @property
    def policy(self) -> dict[str, Any]:
        """The policy, in the core's JSON form."""
