package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestEveryCommandIsDocumented walks the command tree, cobra's help and
// completion commands included: each has a one-line summary, a long help
// and at least one example, and every example line runs dvmm.
func TestEveryCommandIsDocumented(t *testing.T) {
	root := newRootCmd(newCLI(nil, &bytes.Buffer{}, &bytes.Buffer{}))
	n := 0
	var walk func(cmd *cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
		if cmd.Hidden || cmd.Name() == cobra.ShellCompRequestCmd || cmd.Name() == cobra.ShellCompNoDescRequestCmd {
			return
		}
		n++
		path := cmd.CommandPath()
		if cmd.Short == "" || strings.Contains(cmd.Short, "\n") {
			t.Errorf("%s: Short must be one line, is %q", path, cmd.Short)
		}
		if strings.TrimSpace(cmd.Long) == "" {
			t.Errorf("%s has no long help", path)
		}
		if strings.TrimSpace(cmd.Example) == "" {
			t.Errorf("%s has no example", path)
		}
		continued := false
		for _, line := range strings.Split(cmd.Example, "\n") {
			if !continued && !strings.HasPrefix(line, "  dvmm ") && !strings.HasPrefix(line, "  source <(dvmm ") &&
				!strings.HasPrefix(line, "  sudo dvmm ") && !strings.HasPrefix(line, "  */1 * * * * dvmm ") {
				t.Errorf("%s: example line %q does not run dvmm", path, line)
			}
			continued = strings.HasSuffix(line, `\`)
		}
	}
	walk(root)
	if n < 30 {
		t.Fatalf("walked only %d commands", n)
	}
}

func TestDocsWriteManAndMarkdown(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SOURCE_DATE_EPOCH", "1735689600") // 2025-01-01
	var out, errOut bytes.Buffer
	for _, args := range [][]string{
		{"docs", "man", filepath.Join(dir, "man")},
		{"docs", "markdown", filepath.Join(dir, "md")},
		{"docs", "completions", filepath.Join(dir, "completions")},
	} {
		if code := Main(args, nil, &out, &errOut); code != 0 {
			t.Fatalf("dvmm %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, "man", "dvmm-request-approve.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`.TH "DVMM" "1" "Jan 2025" "dvmm dev" "dvmm manual"`, `request approve <id> [flags]`, `\fB--expect-version\fP`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("man page lacks %q:\n%s", want, page)
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, "md", "dvmm_request_show.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(md, []byte("dvmm request show 3fk2 --watch")) || bytes.Contains(md, []byte("Auto generated")) {
		t.Errorf("markdown page:\n%s", md)
	}
	for _, name := range []string{"dvmm.bash", "_dvmm", "dvmm.fish", "dvmm.ps1"} {
		if fi, err := os.Stat(filepath.Join(dir, "completions", name)); err != nil || fi.Size() == 0 {
			t.Errorf("completion script %s: %v", name, err)
		}
	}
}
