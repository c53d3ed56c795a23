//! python cataloger (in progress).
