//! The offset map from a normalised view back to the original text.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::TextError;

/// One piece of the map: a range of the view that stands for a range of the original.
///
/// Pieces tile both texts in order: piece `i` covers the view from `view_start` to the next
/// piece's `view_start` (or the end of the view) and the original likewise. An *identity* piece
/// maps byte for byte (its two ranges have the same length); any other piece maps as a whole
/// (a view range inside it stands for the entire original range). A piece with an empty view
/// range records original text the view dropped (an invisible character, a collapsed space).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Piece {
    /// Byte offset in the view where the piece starts.
    pub view_start: u32,
    /// Byte offset in the original where the piece starts.
    pub original_start: u32,
    /// Whether the piece maps byte for byte.
    pub identity: bool,
}

/// Maps byte ranges of a normalised view back to byte ranges of the original text.
///
/// Built by the [`Normalizer`](super::Normalizer); see [`View::to_original`](super::View::to_original).
/// The map is monotonic (a later view position never maps before an earlier one), its pieces
/// cover the whole original, and unchanged text costs no memory: a view that differs from its
/// original only by ASCII case is a single piece.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetMap {
    pieces: Vec<Piece>,
    view_len: u32,
    original_len: u32,
}

impl OffsetMap {
    /// Length of the view in bytes.
    pub fn view_len(&self) -> usize {
        self.view_len as usize
    }

    /// Length of the original text in bytes.
    pub fn original_len(&self) -> usize {
        self.original_len as usize
    }

    /// The pieces of the map, in order.
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// The original byte range that the view byte range `range` stands for.
    ///
    /// An empty range maps to an empty range. The returned range always lies on character
    /// boundaries of the original when `range` lies on character boundaries of the view.
    ///
    /// # Errors
    /// [`TextError`] when `range` is reversed or ends past the view.
    pub fn to_original(&self, range: Range<usize>) -> Result<Range<usize>, TextError> {
        let Range { start, end } = range;
        if start > end || end > self.view_len() {
            return Err(TextError::out_of_range(start, end, self.view_len()));
        }
        if start == end {
            let at = self.start_of(start);
            return Ok(at..at);
        }
        Ok(self.start_of(start)..self.end_of(end))
    }

    /// Original offset where the view byte at `pos` comes from (`pos < view_len`), or the end.
    fn start_of(&self, pos: usize) -> usize {
        if pos >= self.view_len() {
            return self.original_len();
        }
        let i = self.piece_at(pos);
        let p = self.pieces[i];
        if p.identity {
            p.original_start as usize + (pos - p.view_start as usize)
        } else {
            p.original_start as usize
        }
    }

    /// Original offset just past the view byte at `end - 1` (`end > 0`).
    fn end_of(&self, end: usize) -> usize {
        let i = self.piece_at(end - 1);
        let p = self.pieces[i];
        if p.identity {
            p.original_start as usize + (end - p.view_start as usize)
        } else {
            self.pieces
                .get(i + 1)
                .map_or(self.original_len(), |next| next.original_start as usize)
        }
    }

    /// Index of the non-empty piece holding view byte `pos` (`pos < view_len`).
    fn piece_at(&self, pos: usize) -> usize {
        // The last piece starting at or before `pos`; pieces with an empty view range share
        // their start with the piece after them, so this lands on a non-empty piece.
        self.pieces
            .partition_point(|p| p.view_start as usize <= pos)
            - 1
    }
}

/// Builds an [`OffsetMap`] while the view is written, merging runs of identity pieces.
#[derive(Debug, Default)]
pub(crate) struct MapBuilder {
    map: OffsetMap,
    last_identity: bool,
    last_deleted: bool,
}

impl MapBuilder {
    pub(crate) fn with_capacity(n: usize) -> Self {
        let mut b = Self::default();
        b.map.pieces.reserve(n);
        b
    }

    /// `len` bytes copied byte for byte (same length in view and original).
    #[inline]
    pub(crate) fn identity(&mut self, len: usize) {
        if len == 0 {
            return;
        }
        if !self.last_identity {
            self.push(true);
        }
        self.map.view_len += len as u32;
        self.map.original_len += len as u32;
    }

    /// `original_len` bytes of the original became `view_len` bytes of the view, as a whole.
    #[inline]
    pub(crate) fn whole(&mut self, view_len: usize, original_len: usize) {
        if view_len == 0 && original_len == 0 {
            return;
        }
        if view_len == 0 && self.last_deleted {
            // Consecutive deletions merge into one piece.
        } else {
            self.push(false);
            self.last_deleted = view_len == 0;
        }
        self.map.view_len += view_len as u32;
        self.map.original_len += original_len as u32;
    }

    fn push(&mut self, identity: bool) {
        self.map.pieces.push(Piece {
            view_start: self.map.view_len,
            original_start: self.map.original_len,
            identity,
        });
        self.last_identity = identity;
        self.last_deleted = false;
    }

    pub(crate) fn finish(self) -> OffsetMap {
        self.map
    }
}
