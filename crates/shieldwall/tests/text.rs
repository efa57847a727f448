//! Text layer tests (growing).
