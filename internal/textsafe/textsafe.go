// Package textsafe shows text that a user or vCenter supplied so that it
// cannot act on the terminal or the page it is shown in: control
// characters (C0, C1, DEL, ESC and so every escape sequence), line and
// paragraph separators, bidirectional overrides and isolates, zero-width
// and other invisible format characters, and bytes that are not UTF-8 are
// shown as visible escapes (\x1b, \u202e, \xff). What is left is
// printable text that can neither move the cursor, clear the screen, set
// a window title, ring the bell, switch direction nor hide characters.
package textsafe

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape returns s as one line of safe text: every character that is not
// safe to print, newlines and tabs included, becomes a visible escape.
func Escape(s string) string {
	if isSafe(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case unsafeRune(r):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// Block returns multi-line text as lines, each escaped like Escape and
// prefixed with indent, so that no line of the text can pass for a line
// of its own (a field or a timeline entry): every one of them is visibly
// inside the block. A CRLF or CR line end counts as a newline.
func Block(s, indent string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = indent + Escape(l)
	}
	return out
}

// VisibleLen counts the characters of s that show as something: letters,
// marks on them, digits, punctuation and symbols. Spaces, controls and
// invisible format characters do not count, so text that is blank once
// those are removed cannot satisfy a minimum length.
func VisibleLen(s string) int {
	n := 0
	for _, r := range s {
		if r != utf8.RuneError && !blankLetter(r) && (unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)) {
			n++
		}
	}
	return n
}

// unsafeRune reports whether r must not reach a terminal or page as is.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0: // C0, DEL, C1
		return true
	case unicode.Is(unicode.Cf, r): // bidi controls, zero-width, BOM, soft hyphen, tags
		return true
	case unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r): // U+2028, U+2029
		return true
	case blankLetter(r):
		return true
	case r >= 0xfff9 && r <= 0xfffb: // interlinear annotation
		return true
	}
	return false
}

// blankLetter reports the Hangul fillers: letters by category, blank on screen.
func blankLetter(r rune) bool {
	return r == 0x115f || r == 0x1160 || r == 0x3164 || r == 0xffa0
}

// isSafe is the fast path: most text needs no escape.
func isSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return false
		}
		if c >= 0x80 {
			for _, r := range s[i:] {
				if r == utf8.RuneError || unsafeRune(r) {
					return false
				}
			}
			return utf8.ValidString(s[i:])
		}
	}
	return true
}
