package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/store"
	"github.com/dvmm/dvmm/internal/store/postgres"
)

func newAdminMigrateCmd(c *cli) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "migrate --to postgres://...",
		Short: "Copy a SQLite database into an empty PostgreSQL database",
		Long: `Copy the SQLite database (--db) into an empty PostgreSQL database: the
event log, the sealed secrets, the accounts' password and token hashes
and the command queue, as they are, in one transaction; then rebuild the
read models there from the events. The copy answers every command as the
source did. A database that already holds any of it is refused (exit 4),
and a failed copy leaves it empty.

Stop every 'serve' and 'approve --wait' on the source first, copy, then
point every machine's database setting at the new URL. The secrets stay
sealed with the secret key they were sealed with: give each machine that
key (--secret-key). The source is left as it was.`,
		Example: "  dvmm admin migrate --to 'postgres://dvmm@db.example.com/dvmm?sslmode=verify-full'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := c.migrate(cmd.Context(), to)
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(res)
			}
			fmt.Fprintf(c.out, "copied %d events, %d commands, %d sealed secrets and %d credentials from %s to %s; read models rebuilt\n",
				res.Events, res.Commands, res.Secrets, res.Credentials, res.From, res.To)
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "URL of the empty PostgreSQL database to copy into (required)")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

// migration is what 'admin migrate' did.
type migration struct {
	From        string `json:"from"`
	To          string `json:"to"`
	Events      int64  `json:"events"`
	Commands    int64  `json:"commands"`
	Secrets     int64  `json:"secrets"`
	Credentials int64  `json:"credentials"`
}

// migrate copies the SQLite database into the PostgreSQL one at to and
// rebuilds its read models.
func (c *cli) migrate(ctx context.Context, to string) (migration, error) {
	if c.onPostgres() {
		return migration{}, app.Errorf(app.KindInvalid, "--db names a PostgreSQL database: migrate copies a SQLite database (--db) into PostgreSQL (--to)")
	}
	if !postgres.IsURL(to) {
		return migration{}, app.Errorf(app.KindInvalid, "--to must be a postgres:// URL, not %q", app.Clip(to, 40))
	}
	if _, err := os.Stat(c.dbPath()); errors.Is(err, fs.ErrNotExist) {
		return migration{}, app.Coded(app.KindNotFound, app.CodeNoDatabase, "database %s does not exist", app.Clip(c.dbPath(), 80))
	}
	src, err := store.Open(ctx, c.dbPath())
	if err != nil {
		return migration{}, err
	}
	defer src.Close()
	// The copy is rebuilt by this version: an earlier version's projects
	// must first be made in the source, as any write to it would.
	if err := app.New(src, nil, nil).UpgradeProjects(ctx); err != nil {
		return migration{}, err
	}
	dst, err := postgres.Open(ctx, to)
	if err != nil {
		return migration{}, err
	}
	defer dst.Close()
	n, err := dst.Load(ctx, store.CopiedTables, func(table string) ([]string, postgres.Rows, error) {
		rows, err := src.Dump(ctx, table)
		if err != nil {
			return nil, nil, err
		}
		return rows.Columns, rows, nil
	})
	if err != nil {
		return migration{}, err
	}
	if err := app.New(dst, nil, nil).Rebuild(ctx); err != nil {
		return migration{}, err
	}
	return migration{From: c.dbPath(), To: dst.Path(), Events: n["events"], Commands: n["commands"], Secrets: n["secrets"], Credentials: n["credentials"]}, nil
}
