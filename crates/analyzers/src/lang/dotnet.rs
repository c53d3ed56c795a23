//! dotnet cataloger (in progress).
