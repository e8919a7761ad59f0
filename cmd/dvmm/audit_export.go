package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
	"github.com/dvmm/dvmm/internal/textsafe"
)

func newAuditExportCmd(c *cli) *cobra.Command {
	var (
		since, until, tenant, format string
	)
	cmd := &cobra.Command{
		Use:   "export --format csv|json|jsonl [--since T] [--until T] [--tenant T]",
		Short: "Write every event of the log, as CSV, JSON or JSON lines",
		Long: `Write the events of the log itself, oldest first: sequence, time, actor,
source address, tenant, request, stream, type and the event's fields. The
log is read a page at a time and written as it is read, so a log of any
size exports in flat memory. --since (inclusive) and --until (exclusive)
take RFC 3339 times or dates (2026-11-01); --tenant keeps one tenant's.

CSV opens cleanly in a spreadsheet: UTF-8 with a byte-order mark, quoted
where needed, control characters shown escaped, and a value that starts
with = + - @ (or a tab or carriage return) prefixed with ' so that it is
never taken for a formula. The fields column is the event's fields as
JSON. A request's cloud-init user data is given by its size only.`,
		Example: "  dvmm audit export --format csv --since 2026-11-01 > audit.csv\n  dvmm audit export --format jsonl --tenant acme | jq .type",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var f app.AuditFilter
			var err error
			if f.Since, err = parseMoment("--since", since); err != nil {
				return err
			}
			if f.Until, err = parseMoment("--until", until); err != nil {
				return err
			}
			f.Tenant = tenant
			write, finish, err := auditWriter(c, format)
			if err != nil {
				return err
			}
			a, err := c.App(cmd.Context())
			if err != nil {
				return err
			}
			if _, err := a.ExportEvents(cmd.Context(), f, func(e app.Event) error { return write(contract.NewAuditRecord(e)) }); err != nil {
				return err
			}
			return finish()
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "", "csv, json or jsonl (required)")
	f.StringVar(&since, "since", "", "only events at or after this time (RFC 3339 or a date)")
	f.StringVar(&until, "until", "", "only events before this time (RFC 3339 or a date)")
	f.StringVar(&tenant, "tenant", "", "only this tenant's events")
	_ = cmd.MarkFlagRequired("format")
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"csv", "json", "jsonl"}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// parseMoment reads an RFC 3339 time or a date (midnight UTC); "" is none.
func parseMoment(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, usageError("%s must be an RFC 3339 time (2026-11-01T09:00:00Z) or a date (2026-11-01), not %q", flag, app.Clip(s, 40))
}

// auditWriter returns how to write each record in the format, and how to
// end the output.
func auditWriter(c *cli, format string) (func(contract.AuditRecord) error, func() error, error) {
	out := bufio.NewWriterSize(c.out, 64<<10)
	switch format {
	case "jsonl":
		enc := json.NewEncoder(out)
		return func(r contract.AuditRecord) error { return enc.Encode(r) }, out.Flush, nil
	case "json":
		first := true
		write := func(r contract.AuditRecord) error {
			data, err := json.Marshal(r)
			if err != nil {
				return err
			}
			sep := ",\n  "
			if first {
				sep, first = "[\n  ", false
			}
			_, err = fmt.Fprintf(out, "%s%s", sep, data)
			return err
		}
		finish := func() error {
			end := "\n]\n"
			if first {
				end = "[]\n"
			}
			if _, err := out.WriteString(end); err != nil {
				return err
			}
			return out.Flush()
		}
		return write, finish, nil
	case "csv":
		if _, err := out.WriteString("\ufeff"); err != nil {
			return nil, nil, err
		}
		w := csv.NewWriter(out)
		header := []string{"seq", "time", "actor", "source", "tenant", "request", "stream", "type", "fields"}
		if err := w.Write(header); err != nil {
			return nil, nil, err
		}
		write := func(r contract.AuditRecord) error {
			fields, err := json.Marshal(r.Fields)
			if err != nil {
				return err
			}
			row := []string{strconv.FormatInt(r.Seq, 10), r.Time.UTC().Format(time.RFC3339Nano), r.Actor, r.Source, r.Tenant,
				r.Request, r.Stream, r.Type, string(fields)}
			for i := range row {
				row[i] = csvCell(row[i])
			}
			return w.Write(row)
		}
		finish := func() error {
			w.Flush()
			if err := w.Error(); err != nil {
				return err
			}
			return out.Flush()
		}
		return write, finish, nil
	}
	return nil, nil, usageError("--format must be csv, json or jsonl, not %q", app.Clip(format, 20))
}

// csvCell makes a value safe for a spreadsheet: control characters shown
// escaped, and a value a spreadsheet would take for a formula prefixed
// with a quote.
func csvCell(s string) string {
	s = textsafe.Escape(s)
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
