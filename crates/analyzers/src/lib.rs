//! Analyzers: catalogers and OS detection.
