package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

func newDocsCmd(c *cli) *cobra.Command {
	return groupCmd("docs", "Write man pages, a markdown reference and completion scripts",
		`Generate the documentation of every dvmm command from the commands
themselves, for packages and release archives: man pages (section 1), one
markdown file per command, and the shell completion scripts. The output
depends only on this dvmm's version (and SOURCE_DATE_EPOCH for the date in
the man pages), so a release build can regenerate it.`,
		newDocsManCmd(c), newDocsMarkdownCmd(c), newDocsCompletionsCmd(c))
}

// docsRoot is the command tree the docs describe: a fresh one, so that a
// generated page never shows this invocation's flag values.
func docsRoot(c *cli) *cobra.Command {
	root := newRootCmd(newCLI(c.in, c.out, c.errOut))
	root.DisableAutoGenTag = true
	return root
}

// manDate is the date the man pages carry: SOURCE_DATE_EPOCH when it is
// set and after 1970 (a build without git history passes 0 or less),
// else the build date of this binary, else today.
func manDate() (time.Time, error) {
	if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
		secs, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil {
			return time.Time{}, usageError("SOURCE_DATE_EPOCH must be a number of seconds since 1970, not %q", clipValue(epoch))
		}
		if secs > 0 {
			return time.Unix(secs, 0).UTC(), nil
		}
	}
	if t, err := time.Parse(time.RFC3339, date); err == nil && t.Unix() > 0 {
		return t, nil
	}
	return time.Now(), nil
}

// escapeArgNames keeps "<id>" in a usage line from being read as an HTML
// tag, and dropped, on its way through markdown to a man page.
func escapeArgNames(cmd *cobra.Command) {
	cmd.Use = strings.NewReplacer("<", `\<`, ">", `\>`).Replace(cmd.Use)
	for _, sub := range cmd.Commands() {
		escapeArgNames(sub)
	}
}

// outputDir creates dir (0755) for generated files.
func outputDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return &exitError{code: ExitInternal, msg: fmt.Sprintf("cannot create %s: %v", dir, err)}
	}
	return nil
}

func dirArgCompletion(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveFilterDirs
}

func newDocsManCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "man <dir>",
		Short: "Write a man page for every command into a folder",
		Long: `Write one man page (section 1) per command into the folder, creating it:
dvmm.1, dvmm-request.1, dvmm-request-approve.1 and so on. Install them in a
man path, e.g. /usr/local/share/man/man1, and read them with
'man dvmm-request-approve'. The date on each page is the build's
SOURCE_DATE_EPOCH when set, else today.`,
		Example: `  dvmm docs man ./man
  sudo dvmm docs man /usr/local/share/man/man1 && man dvmm-request-approve`,
		Args:              exactArgs(1, "a folder"),
		ValidArgsFunction: dirArgCompletion,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputDir(args[0]); err != nil {
				return err
			}
			when, err := manDate()
			if err != nil {
				return err
			}
			header := &doc.GenManHeader{Title: "DVMM", Section: "1", Source: "dvmm " + version, Manual: "dvmm manual", Date: &when}
			root := docsRoot(c)
			escapeArgNames(root)
			if err := doc.GenManTree(root, header, args[0]); err != nil {
				return &exitError{code: ExitInternal, msg: "cannot write man pages: " + err.Error()}
			}
			return reportWritten(c, args[0], "*.1")
		},
	}
}

func newDocsMarkdownCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "markdown <dir>",
		Short: "Write a markdown reference of every command into a folder",
		Long: `Write one markdown file per command into the folder, creating it: dvmm.md,
dvmm_request.md, dvmm_request_approve.md and so on, linked to each other.`,
		Example:           "  dvmm docs markdown ./docs/reference",
		Args:              exactArgs(1, "a folder"),
		ValidArgsFunction: dirArgCompletion,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputDir(args[0]); err != nil {
				return err
			}
			if err := doc.GenMarkdownTree(docsRoot(c), args[0]); err != nil {
				return &exitError{code: ExitInternal, msg: "cannot write the markdown reference: " + err.Error()}
			}
			return reportWritten(c, args[0], "*.md")
		},
	}
}

func newDocsCompletionsCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "completions <dir>",
		Short: "Write the completion scripts of every shell into a folder",
		Long: `Write the completion scripts that 'dvmm completion SHELL' prints into the
folder, creating it, under the names each shell looks for: dvmm.bash,
_dvmm (zsh), dvmm.fish and dvmm.ps1 (PowerShell). Release archives carry
them in completions/.`,
		Example:           "  dvmm docs completions ./completions",
		Args:              exactArgs(1, "a folder"),
		ValidArgsFunction: dirArgCompletion,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputDir(args[0]); err != nil {
				return err
			}
			root := docsRoot(c)
			for name, gen := range map[string]func(string) error{
				"dvmm.bash": func(p string) error { return root.GenBashCompletionFileV2(p, true) },
				"_dvmm":     root.GenZshCompletionFile,
				"dvmm.fish": func(p string) error { return root.GenFishCompletionFile(p, true) },
				"dvmm.ps1":  root.GenPowerShellCompletionFileWithDesc,
			} {
				if err := gen(filepath.Join(args[0], name)); err != nil {
					return &exitError{code: ExitInternal, msg: "cannot write " + name + ": " + err.Error()}
				}
			}
			return reportWritten(c, args[0], "*")
		},
	}
}

// reportWritten says how many files matching pattern dir holds now.
func reportWritten(c *cli, dir, pattern string) error {
	files, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return err
	}
	if c.structured() {
		return c.printer.data(map[string]any{"dir": dir, "files": len(files)})
	}
	fmt.Fprintf(c.out, "%d files in %s\n", len(files), dir)
	return nil
}
