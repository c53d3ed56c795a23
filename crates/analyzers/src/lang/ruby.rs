//! ruby cataloger (in progress).
