package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/apiclient"
	"github.com/dvmm/dvmm/internal/app"
)

func newLogoutCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:     "logout",
		Short:   "Sign out: revoke the saved token and forget the server",
		Long:    "Revoke the token 'dvmm login' saved (when the server answers) and remove the saved login, so commands run on the database file again.",
		Example: "  dvmm logout",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cr, ok, err := loadCredentials()
			if err != nil {
				return err
			}
			if !ok {
				fmt.Fprintln(c.out, "not logged in")
				return nil
			}
			revokeErr := apiclient.New(cr.Server, cr.Token).RevokeToken(cmd.Context(), app.Actor{}, cr.User, cr.TokenID)
			if err := os.Remove(credentialsPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			if revokeErr != nil && app.ErrorKind(revokeErr) != app.KindUnauthenticated {
				fmt.Fprintf(c.errOut, "dvmm: the token could not be revoked on %s (%s); it expires by itself\n", cr.Server, app.FirstLine(app.ErrorMessage(revokeErr)))
			}
			fmt.Fprintf(c.out, "logged out of %s\n", cr.Server)
			return nil
		},
	}
}
