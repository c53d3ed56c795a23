//! php cataloger (in progress).
