package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dvmm/dvmm/internal/notify/notifytest"
)

// notifyReceivers are the webhook receivers and SMTP servers a script
// started, by name.
type notifyReceivers struct {
	hooks map[string]*notifytest.Webhook
	smtp  map[string]*notifytest.SMTP
}

func receivers(ts *testscript.TestScript) *notifyReceivers {
	r := ts.Value("notify").(*notifyReceivers)
	if r.hooks == nil {
		r.hooks, r.smtp = map[string]*notifytest.Webhook{}, map[string]*notifytest.SMTP{}
	}
	return r
}

// webhook start NAME SECRET: starts a receiver that checks signatures with
// SECRET and sets $NAME_URL.
// webhook fail NAME N STATUS: its next N requests are answered STATUS.
// webhook hits NAME N valid|bad: it got N requests, each validly signed
// (or each not).
// webhook delivered NAME N: it answered N requests with 200.
// webhook last NAME FILE: writes the body of its last request to FILE.
func cmdWebhook(ts *testscript.TestScript, neg bool, args []string) {
	usage := "usage: webhook start NAME SECRET | fail NAME N STATUS | hits NAME N valid|bad | delivered NAME N | last NAME FILE"
	if neg || len(args) < 2 {
		ts.Fatalf("%s", usage)
	}
	r := receivers(ts)
	name := args[1]
	if args[0] == "start" {
		if len(args) != 3 {
			ts.Fatalf("%s", usage)
		}
		w := notifytest.NewWebhook(args[2])
		r.hooks[name] = w
		ts.Defer(w.Close)
		ts.Setenv(strings.ToUpper(name)+"_URL", w.URL())
		return
	}
	w, ok := r.hooks[name]
	if !ok {
		ts.Fatalf("webhook: no receiver %s", name)
	}
	hits := w.Hits()
	switch {
	case args[0] == "fail" && len(args) == 4:
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		status, err := strconv.Atoi(args[3])
		ts.Check(err)
		w.Fail(n, status)
	case args[0] == "hits" && len(args) == 4:
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		if len(hits) != n {
			ts.Fatalf("webhook %s got %d requests, want %d", name, len(hits), n)
		}
		for i, h := range hits {
			if h.Valid != (args[3] == "valid") {
				ts.Fatalf("webhook %s request %d: signature valid %v (%s), want %s", name, i+1, h.Valid, h.SignError, args[3])
			}
		}
	case args[0] == "delivered" && len(args) == 3:
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		ok := 0
		for _, h := range hits {
			if h.Status == 200 {
				ok++
			}
		}
		if ok != n {
			ts.Fatalf("webhook %s answered %d of %d requests with 200, want %d", name, ok, len(hits), n)
		}
	case args[0] == "last" && len(args) == 3:
		if len(hits) == 0 {
			ts.Fatalf("webhook %s got no request", name)
		}
		ts.Check(os.WriteFile(ts.MkAbs(args[2]), hits[len(hits)-1].Body, 0o600))
	default:
		ts.Fatalf("%s", usage)
	}
}

// smtpd start NAME USER PASSWORD: starts an SMTP server that requires
// STARTTLS and that login; sets $NAME_ADDR and writes its CA to
// $WORK/NAME-ca.pem.
// smtpd mails NAME N: it got N messages.
// smtpd last NAME FILE: writes the last message (envelope and data) to FILE.
func cmdSMTPD(ts *testscript.TestScript, neg bool, args []string) {
	usage := "usage: smtpd start NAME USER PASSWORD | mails NAME N | last NAME FILE"
	if neg || len(args) < 2 {
		ts.Fatalf("%s", usage)
	}
	r := receivers(ts)
	name := args[1]
	if args[0] == "start" {
		if len(args) != 4 {
			ts.Fatalf("%s", usage)
		}
		s, err := notifytest.NewSMTP(args[2], args[3])
		ts.Check(err)
		r.smtp[name] = s
		ts.Defer(s.Close)
		ts.Setenv(strings.ToUpper(name)+"_ADDR", s.Addr())
		ts.Check(os.WriteFile(filepath.Join(ts.Getenv("WORK"), name+"-ca.pem"), []byte(s.CAPEM()), 0o600))
		return
	}
	s, ok := r.smtp[name]
	if !ok {
		ts.Fatalf("smtpd: no server %s", name)
	}
	mails := s.Mails()
	switch {
	case args[0] == "mails" && len(args) == 3:
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		if len(mails) != n {
			ts.Fatalf("smtpd %s got %d messages, want %d", name, len(mails), n)
		}
	case args[0] == "last" && len(args) == 3:
		if len(mails) == 0 {
			ts.Fatalf("smtpd %s got no message", name)
		}
		m := mails[len(mails)-1]
		text := "MAIL FROM: " + m.From + "\nRCPT TO: " + strings.Join(m.To, ",") + "\nAUTH: " + m.User + "\nTLS: " + strconv.FormatBool(m.TLS) + "\n\n" + m.Data
		ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(text), 0o600))
	default:
		ts.Fatalf("%s", usage)
	}
}
