package main

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/apiclient"
)

func newLoginCmd(c *cli) *cobra.Command {
	var (
		server string
		pw     passwordFlags
	)
	cmd := &cobra.Command{
		Use:   "login --server <url>",
		Short: "Sign in to a dvmm server and use it from now on",
		Long: `Sign in to 'dvmm serve --listen' with your account (--user, default: the OS
user) and password, and keep the server and a token in the config folder
(credentials.json, mode 0600). From then on every command that the API has
runs on that server, with the same output and exit codes, as the signed-in
user. 'dvmm logout' ends it. DVMM_SERVER and DVMM_TOKEN do the same without
a saved login.`,
		Example: "  dvmm login --server https://dvmm.example:8443 --user bob --password-file ~/.dvmm-pw",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			u, err := url.Parse(server)
			if server == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
				return usageError("--server must be the server's URL, like https://dvmm.example:8443")
			}
			if u.Scheme == "http" && !isLoopback(u.Hostname()) {
				return usageError("--server %s is plain HTTP off this machine: the password and token would cross the network in clear; use https", u.Host)
			}
			user := c.v.GetString("user")
			if user == "" {
				user = c.actor().User
			}
			password, err := pw.read(c, "password for "+user+" on "+u.Host+": ")
			if err != nil {
				return err
			}
			host, _ := os.Hostname()
			client := apiclient.New(strings.TrimRight(server, "/"), "")
			tok, err := client.Login(cmd.Context(), user, password, "dvmm login on "+host)
			if err != nil {
				return err
			}
			if err := saveCredentials(credentials{Server: client.Server, User: tok.User, Token: tok.Token, TokenID: tok.ID}); err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(map[string]any{"server": client.Server, "user": tok.User, "token_id": tok.ID, "expires_at": tok.ExpiresAt})
			}
			fmt.Fprintf(c.out, "logged in to %s as %s (token %s, until %s)\n", client.Server, tok.User, tok.ID, formatTime(tok.ExpiresAt))
			return nil
		},
	}
	cmd.Flags().StringVar(&server, "server", "", "the dvmm server's URL, e.g. https://dvmm.example:8443")
	pw.add(cmd)
	return cmd
}
