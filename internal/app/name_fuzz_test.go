package app_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dvmm/dvmm/internal/app"
)

// documentedName says, without a regular expression, what the README
// promises a name is: 3-63 characters of a-z, 0-9 and '-', starting and
// ending with a letter or digit, with no "--".
func documentedName(s string) bool {
	if len(s) < 3 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// FuzzValidateName: ValidateName never panics, accepts exactly the names
// the documentation describes, and refuses the others with an invalid-input
// error whose message is one short line of valid text.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{
		"web-01", "abc", "a-b", strings.Repeat("a", 63), strings.Repeat("a", 64), "", "ab", "Web-01",
		"-web", "web-", "we--b", "wеb-01" /* Cyrillic е */, "ｗｅｂ-01" /* fullwidth */, "web\u200b01", "web 01",
		"web$(id)", "web');drop table events;--", "web\x0001", "web\n", "\xff\xfe", "0-0", "9zz", "a--",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := app.ValidateName(name)
		want := documentedName(name)
		if (err == nil) != want {
			t.Fatalf("ValidateName(%q) = %v, documented rule says valid=%v", name, err, want)
		}
		if err == nil {
			return
		}
		if k := app.ErrorKind(err); k != app.KindInvalid {
			t.Fatalf("ValidateName(%q): kind %s, want invalid", name, k)
		}
		msg := app.ErrorMessage(err)
		if !utf8.ValidString(msg) || strings.ContainsAny(msg, "\x00\n\r") || utf8.RuneCountInString(msg) > 250 {
			t.Fatalf("ValidateName(%q): message is not one short line of text: %q", name, msg)
		}
	})
}
