package main

import "testing"

// TestCSVCell: no value reaches a spreadsheet as a formula or with a
// control character.
func TestCSVCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"alice", "alice"},
		{"", ""},
		{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"+1+1", "'+1+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", `\t=1`},
		{"a\x1b[31mred", `a\x1b[31mred`},
		{"line\nbreak", `line\nbreak`},
		{"2026-11-28T10:00:00Z", "2026-11-28T10:00:00Z"},
		{`{"a":"=1"}`, `{"a":"=1"}`},
	} {
		if got := csvCell(tc.in); got != tc.want {
			t.Errorf("csvCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
