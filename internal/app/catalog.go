package app

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dvmm/dvmm/internal/textsafe"
)

// Size is an entry of the size catalog.
type Size struct {
	Name     string `json:"name"`
	CPUs     int    `json:"cpus"`
	MemoryGB int    `json:"memory_gb"`
	DiskGB   int    `json:"disk_gb"`
}

// Sizes is the catalog, smallest first. M is the default.
var Sizes = []Size{
	{Name: "S", CPUs: 2, MemoryGB: 4, DiskGB: 50},
	{Name: "M", CPUs: 4, MemoryGB: 8, DiskGB: 100},
	{Name: "L", CPUs: 8, MemoryGB: 16, DiskGB: 200},
	{Name: "XL", CPUs: 16, MemoryGB: 32, DiskGB: 500},
}

// DefaultSize is used when a request names none.
const DefaultSize = "M"

// LookupSize finds a size by name, case-insensitively.
func LookupSize(name string) (Size, error) {
	for _, s := range Sizes {
		if strings.EqualFold(s.Name, name) {
			return s, nil
		}
	}
	return Size{}, Errorf(KindInvalid, "unknown size %s: use one of S, M, L, XL", quote(name, 20))
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

// ValidateName checks a VM name: 3–63 characters of a-z, 0-9 and '-', not
// starting or ending with '-', and no "--".
func ValidateName(name string) error {
	if name == "" {
		return Errorf(KindInvalid, "name is required: use 3-63 lowercase letters, digits and dashes")
	}
	if !namePattern.MatchString(name) || strings.Contains(name, "--") {
		return Errorf(KindInvalid, "invalid name %s: use 3-63 lowercase letters, digits and single dashes, starting and ending with a letter or digit", quote(name, 70))
	}
	return nil
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// ValidateSlug checks tenant, project and user names.
func ValidateSlug(what, v string) error {
	if v == "" {
		return Errorf(KindInvalid, "%s is required", what)
	}
	if !slugPattern.MatchString(v) {
		return Errorf(KindInvalid, "invalid %s %s: use 1-63 lowercase letters, digits, '.', '_' and '-', starting with a letter or digit", what, quote(v, 70))
	}
	return nil
}

// Text limits.
const (
	MinJustification = 10
	MaxJustification = 2000
	MinReason        = 10
	MaxReason        = 500
)

func validateText(what string, v string, min, max int) error {
	n := utf8.RuneCountInString(strings.TrimSpace(v))
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return Errorf(KindInvalid, "%s must be valid text", what)
	}
	if n < min {
		return Errorf(KindInvalid, "%s is too short: write at least %d characters", what, min)
	}
	if n > max {
		return Errorf(KindInvalid, "%s is too long: at most %d characters", what, max)
	}
	return nil
}

// validateLine is validateText for a one-line identifier (a network
// name): no control characters at all, line breaks included.
func validateLine(what, v string, min, max int) error {
	if err := validateText(what, v, min, max); err != nil {
		return err
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return Errorf(KindInvalid, "%s must be one line of text without control characters", what)
	}
	return nil
}

// validateProse checks free text an approver reads (a justification, a
// reason): one line, no control characters, and a minimum counted in
// visible characters, so that text made of spaces and invisible
// characters does not pass for a justification. Line breaks are refused
// rather than shown as a block: every consumer of the log (CSV, mail, a
// terminal) then gets text that cannot forge a field or a timeline line.
func validateProse(what, v string, min, max int) error {
	if !utf8.ValidString(v) {
		return Errorf(KindInvalid, "%s must be valid text", what)
	}
	if strings.ContainsAny(v, "\n\r\u2028\u2029") {
		return Errorf(KindInvalid, "%s must be one line: line breaks are not allowed", what)
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return Errorf(KindInvalid, "%s must not contain control characters", what)
	}
	// Invisible characters (zero-width, direction marks) do not count,
	// and text with nothing visible at all is blank however long it is.
	shown := strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, v))
	if n := utf8.RuneCountInString(shown); n < min || textsafe.VisibleLen(v) == 0 {
		return Errorf(KindInvalid, "%s is too short: write at least %d characters", what, min)
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(v)); n > max {
		return Errorf(KindInvalid, "%s is too long: at most %d characters", what, max)
	}
	return nil
}

// quote shows user input in a message: quoted, with its escapes, and cut
// to at most n runes of the quoted form, so the message stays one short line.
func quote(s string, n int) string {
	q := strconv.Quote(Clip(s, n))
	if r := []rune(q); len(r) > n+2 {
		return string(r[:n+1]) + "…\""
	}
	return q
}
