package main

import (
	"github.com/spf13/cobra"
)

func newUserCmd(c *cli) *cobra.Command {
	return groupCmd("user", "Manage local accounts for the HTTP API",
		`Local accounts sign in to 'dvmm serve --listen' (and 'dvmm login') with a
password, stored only as an argon2id hash. On the database file these are
operator commands; over the API they need the platform role.`,
		newUserCreateCmd(c), newUserPasswdCmd(c), newUserDisableCmd(c), newUserGrantCmd(c))
}

// passwordFlags are the ways a command takes a password.
type passwordFlags struct {
	file, env string
	stdin     bool
}

func (p *passwordFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&p.file, "password-file", "", "read the password from this file")
	f.StringVar(&p.env, "password-env", "", "read the password from this environment variable")
	f.BoolVar(&p.stdin, "password-stdin", false, "read the password from standard input")
}

func (p *passwordFlags) read(c *cli, prompt string) (string, error) {
	return readPassword(c, prompt, p.file, p.env, p.stdin)
}
