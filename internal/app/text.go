package app

import (
	"strings"
	"unicode/utf8"
)

// Clip keeps text short and printable for a message: invalid UTF-8 and
// control characters become '?', and past n runes it is cut with "…".
func Clip(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > n {
		return string([]rune(s)[:n]) + "…"
	}
	return s
}

// ShortID is the first 8 characters of an id, as messages and tables
// show it; any unique prefix is accepted back.
func ShortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// FirstLine is the first non-blank line of s, trimmed: errors from
// libraries may run over several lines, a message is one.
func FirstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}
