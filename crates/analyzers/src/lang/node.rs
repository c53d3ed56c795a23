//! node cataloger (in progress).
