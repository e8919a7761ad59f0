package store

// Test hooks for code that the public API cannot reach on SQLite: the
// version check under the write lock means Append never meets the UNIQUE
// index, and a busy error needs a connection without a busy timeout.
var (
	IsUniqueViolation = isUniqueViolation
	DBError           = dbError
)
