"""Type stubs for the native module (hand-written; checked with `python -m mypy.stubtest`)."""

from typing import final

__all__ = [
    "ShieldwallError",
    "TextError",
    "HiddenReport",
    "NormalizedText",
    "Normalizer",
    "normalize",
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
