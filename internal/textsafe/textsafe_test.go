package textsafe_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/dvmm/dvmm/internal/textsafe"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"Plain", "web-01 for the shop", "web-01 for the shop"},
		{"Unicode", "Prüfung für café ☕ 日本", "Prüfung für café ☕ 日本"},
		{"Backslash", `C:\temp`, `C:\temp`},
		{"Newline", "a\nStatus  APPROVED", `a\nStatus  APPROVED`},
		{"CRLF", "a\r\nb", `a\r\nb`},
		{"Tab", "a\tb", `a\tb`},
		{"ClearScreen", "x\x1b[2J\x1b[H", `x\x1b[2J\x1b[H`},
		{"WindowTitle", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"Bell", "ding\a", `ding\x07`},
		{"Backspace", "admin\b\b\b\b\buser", `admin\x08\x08\x08\x08\x08user`},
		{"DEL", "a\x7fb", `a\x7fb`},
		{"C1CSI", "a\u009b31mred", `a\x9b31mred`},
		{"NEL", "a\u0085b", `a\x85b`},
		{"BidiOverride", "invoice\u202efdp.exe", `invoice\u202efdp.exe`},
		{"BidiIsolate", "a\u2066b\u2069", `a\u2066b\u2069`},
		{"RLM", "a\u200fb", `a\u200fb`},
		{"ZeroWidthSpace", "ali\u200bce", `ali\u200bce`},
		{"ZWJ", "a\u200db", `a\u200db`},
		{"BOM", "\ufeffname", `\ufeffname`},
		{"WordJoiner", "a\u2060b", `a\u2060b`},
		{"SoftHyphen", "a\u00adb", `a\xadb`},
		{"LineSeparator", "a\u2028b", `a\u2028b`},
		{"ParagraphSeparator", "a\u2029b", `a\u2029b`},
		{"Tag", "a\U000E0041b", `a\ue0041b`},
		{"HangulFiller", "\u3164\u3164", `\u3164\u3164`},
		{"InvalidUTF8", "a\xffb\xc3", `a\xffb\xc3`},
		{"NUL", "a\x00b", `a\x00b`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := textsafe.Escape(tc.in); got != tc.want {
				t.Fatalf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestBlock(t *testing.T) {
	got := textsafe.Block("first line\r\n2026-01-01 10:00:00  Approved by alice\n\x1b[1Aup", "    ")
	want := []string{"    first line", "    2026-01-01 10:00:00  Approved by alice", `    \x1b[1Aup`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("Block = %q, want %q", got, want)
	}
}

func TestVisibleLen(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"load tests", 9},
		{"          ", 0},
		{"\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b", 0},
		{"\u3164\u3164\u3164\u3164\u3164\u3164\u3164\u3164\u3164\u3164", 0},
		{"\t\n\r\x1b\x07\u00a0\u2003\u202e\ufeff\u2060", 0},
		{"日本語のテスト", 7},
		{"!!!", 3},
		{"a\xffb", 2},
	} {
		if got := textsafe.VisibleLen(tc.in); got != tc.want {
			t.Errorf("VisibleLen(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// checkSafe fails unless s is valid UTF-8 without a character that acts
// on a terminal (controls other than allowed, format, separators).
func checkSafe(t *testing.T, in, s string, allowNewline bool) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("output of %q is not UTF-8: %q", in, s)
	}
	for _, r := range s {
		if r == '\n' && allowNewline {
			continue
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || unicode.Is(unicode.Cf, r) ||
			unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) {
			t.Fatalf("output of %q holds %U: %q", in, r, s)
		}
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "plain", "a\nb", "\x1b[2J", "\u202e", "\xff\xfe", "a\r\nb\tc", "\u2028", "\U000E0041"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := textsafe.Escape(in)
		checkSafe(t, in, out, false)
		if strings.ContainsAny(out, "\n\t") {
			t.Fatalf("Escape(%q) = %q keeps a line break or tab", in, out)
		}
		if textsafe.Escape(out) != out {
			t.Fatalf("Escape is not stable on its own output: %q", out)
		}
		lines := textsafe.Block(in, "  ")
		want := strings.Count(strings.ReplaceAll(in, "\r\n", "\n"), "\n") + 1
		if len(lines) != want {
			t.Fatalf("Block(%q) gave %d lines, want %d: the text added a line", in, len(lines), want)
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, "  ") {
				t.Fatalf("Block line %q is not indented", l)
			}
			checkSafe(t, in, l, false)
		}
	})
}
