package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/dvmm/dvmm/internal/app"
)

// Main runs dvmm with args and returns the exit code.
func Main(args []string, in io.Reader, out, errOut io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := newCLI(in, out, errOut)
	defer c.close()
	root := newRootCmd(c)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	var domain *app.Error
	if err != nil && !errors.As(err, &domain) && !isExit(err) && strings.HasPrefix(err.Error(), "required flag") {
		// cobra checks required flags itself, with a plain error: it is a
		// mistake on the command line like any other (exit 2).
		err = usageError("%v (see '%s --help')", err, cmd.CommandPath())
	}
	if err != nil && ctx.Err() != nil && !isExit(err) {
		fmt.Fprintln(errOut, "dvmm: interrupted")
		return ExitInterrupted
	}
	return reportError(errOut, err)
}

func isExit(err error) bool {
	var ee *exitError
	return errors.As(err, &ee)
}

func newRootCmd(c *cli) *cobra.Command {
	root := &cobra.Command{
		Use:   "dvmm",
		Short: "Self-service VM provisioning for VMware vCenter",
		Long: `dvmm lets people in a tenant ask for VMs, a tenant admin approve them, and
approval provision them on vCenter with no manual step. Every change is an
event in an embedded SQLite log; lists and timelines derive from it.`,
		Example: `  dvmm demo
  dvmm tenant create acme --admin alice
  dvmm --tenant acme --user bob request create --name web-01 --size M --project shop --justification "load tests for the shop"`,
		Args:              noSubcommand,
		RunE:              func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		SilenceErrors:     true,
		SilenceUsage:      true,
		Version:           versionString(),
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return c.load(cmd) },
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError("%v (see '%s --help')", err, cmd.CommandPath())
	})
	pf := root.PersistentFlags()
	pf.String("db", "", "database file (default $XDG_DATA_HOME/dvmm/dvmm.db)")
	pf.String("tenant", "", "tenant to act in")
	pf.String("user", "", "user to act as (default: the OS user)")
	pf.String("config", "", "config file (default $XDG_CONFIG_HOME/dvmm/config.yaml)")
	pf.StringP("output", "o", "table", "output format: table, wide, json or yaml")
	pf.Bool("no-color", false, "never colour the output")
	pf.String("secret-key", "", "key file sealing vCenter passwords (default: secret.key beside the config file)")

	root.AddGroup(&cobra.Group{ID: "work", Title: "Requests and VMs:"}, &cobra.Group{ID: "admin", Title: "Setup and operation:"})
	for _, sub := range []*cobra.Command{newRequestCmd(c), newVMCmd(c)} {
		sub.GroupID = "work"
		root.AddCommand(sub)
	}
	for _, sub := range []*cobra.Command{newLoginCmd(c), newLogoutCmd(c), newWhoamiCmd(c), newTenantCmd(c), newUserCmd(c), newTokenCmd(c), newVMwareCmd(c), newQuotaCmd(c), newLeaseCmd(c), newNotifyCmd(c), newProjectCmd(c), newQueueCmd(c), newServeCmd(c), newAdminCmd(c), newAuditCmd(c), newDemoCmd(c), newSimCmd(c), newDocsCmd(c), newDoctorCmd(c), newVersionCmd(c)} {
		sub.GroupID = "admin"
		root.AddCommand(sub)
	}
	usageArgs(root)
	root.SetHelpCommandGroupID("admin")
	root.SetCompletionCommandGroupID("admin")
	_ = root.RegisterFlagCompletionFunc("output", completeOutput)
	_ = root.RegisterFlagCompletionFunc("tenant", c.completeTenants)
	initBuiltins(c, root)
	return root
}

// bindFlags lets viper see a command's flags so that flag > env > config > default.
func bindFlags(v *viper.Viper, fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if e := v.BindPFlag(f.Name, f); e != nil && err == nil {
			err = e
		}
	})
	return err
}

// groupCmd makes a parent command that only holds subcommands. Its
// examples are the first example of each subcommand.
func groupCmd(use, short, long string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Long: long, Args: noSubcommand,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError("%s needs a subcommand: %s", cmd.CommandPath(), subNames(cmd))
		}}
	cmd.AddCommand(subs...)
	var examples []string
	for _, s := range subs {
		if first, _, _ := strings.Cut(s.Example, "\n"); first != "" && !strings.HasSuffix(first, "\\") {
			examples = append(examples, first)
		}
	}
	cmd.Example = strings.Join(examples, "\n")
	return cmd
}

// initBuiltins makes cobra's help and completion commands now rather than
// at Execute, so that they can be given examples and show up in the docs
// like every other command. The completion scripts write to c.out.
func initBuiltins(c *cli, root *cobra.Command) {
	root.SetIn(c.in)
	root.SetOut(c.out)
	root.SetErr(c.errOut)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, sub := range root.Commands() {
		switch sub.Name() {
		case "help":
			sub.Example = "  dvmm help request approve"
		case "completion":
			sub.Long += `
Request ids, VM names, sizes, statuses, tenants and output formats complete
from the local database and dvmm's own lists.`
			sub.Example = `  source <(dvmm completion bash)
  dvmm completion bash > /etc/bash_completion.d/dvmm
  dvmm completion zsh > "${fpath[1]}/_dvmm"
  dvmm completion fish > ~/.config/fish/completions/dvmm.fish`
			for _, shell := range sub.Commands() {
				shell.Example = completionExamples[shell.Name()]
			}
		}
	}
}

var completionExamples = map[string]string{
	"bash":       "  source <(dvmm completion bash)\n  dvmm completion bash > /etc/bash_completion.d/dvmm",
	"zsh":        "  dvmm completion zsh > \"${fpath[1]}/_dvmm\"",
	"fish":       "  dvmm completion fish > ~/.config/fish/completions/dvmm.fish",
	"powershell": "  dvmm completion powershell | Out-String | Invoke-Expression",
}

// usageArgs makes cobra's own argument checks (cobra.NoArgs and friends)
// report usage errors, so a stray argument exits 2 like any other
// mistake on the command line.
func usageArgs(cmd *cobra.Command) {
	if check := cmd.Args; check != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			err := check(c, args)
			var domain *app.Error
			if err != nil && !errors.As(err, &domain) {
				return usageError("%v (see '%s --help')", err, c.CommandPath())
			}
			return err
		}
	}
	for _, sub := range cmd.Commands() {
		usageArgs(sub)
	}
}

// noSubcommand refuses an unknown subcommand with a usage error.
func noSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError("unknown command %q for %q: use one of %s", args[0], cmd.CommandPath(), subNames(cmd))
	}
	return nil
}

func subNames(cmd *cobra.Command) string {
	var names []string
	for _, s := range cmd.Commands() {
		if s.IsAvailableCommand() {
			names = append(names, s.Name())
		}
	}
	return strings.Join(names, ", ")
}
