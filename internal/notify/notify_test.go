package notify_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/notify"
	"github.com/dvmm/dvmm/internal/notify/notifytest"
)

func sample() app.Notification {
	return app.Notification{ID: "notify:ch1:r1:1", Kind: app.NotifyReady, Tenant: "acme", Subject: "VM web-01 is ready",
		Audience: []string{"bob"}, Channel: "ch1",
		Event:   app.NotifyEvent{Type: app.EvVMProvisioned, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Actor: "dvmm", Fields: json.RawMessage(`{"ip":"10.0.0.5"}`)},
		Request: &app.RequestView{ID: "r1", Name: "web-01", Project: "shop", Size: "S", Requester: "bob", Status: app.StatusReady, VM: &app.VMView{IP: "10.0.0.5"}}}
}

// TestWebhook: a 2xx is delivered with a signature the receiver checks;
// 429, 5xx and a receiver that cannot be reached are transient; other
// 4xx, and a receiver with another secret, permanent.
func TestWebhook(t *testing.T) {
	for _, tc := range []struct {
		name      string
		receiver  string // the receiver's secret
		failTimes int
		status    int
		closed    bool
		transient bool
		ok        bool
	}{
		{name: "OK", receiver: "s3cret", ok: true},
		{name: "ErrServiceUnavailable", receiver: "s3cret", failTimes: 1, status: 503, transient: true},
		{name: "ErrTooManyRequests", receiver: "s3cret", failTimes: 1, status: 429, transient: true},
		{name: "ErrNotFound", receiver: "s3cret", failTimes: 1, status: 404},
		{name: "ErrWrongSecret", receiver: "other"},
		{name: "ErrUnreachable", receiver: "s3cret", closed: true, transient: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := notifytest.NewWebhook(tc.receiver)
			defer w.Close()
			w.Fail(tc.failTimes, tc.status)
			if tc.closed {
				w.Close()
			}
			nt := notify.New()
			nt.Timeout = 5 * time.Second
			err := nt.Deliver(context.Background(), app.NotifyChannel{ID: "ch1", Kind: app.ChannelWebhook, URL: w.URL()}, []byte("s3cret"), sample())
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				hits := w.Hits()
				if len(hits) != 1 || !hits[0].Valid || hits[0].Kind != app.NotifyReady || hits[0].Delivery != "notify:ch1:r1:1" {
					t.Fatalf("hits %+v", hits)
				}
				var got app.Notification
				if err := json.Unmarshal(hits[0].Body, &got); err != nil || got.Event.Type != app.EvVMProvisioned || got.Request.VM.IP != "10.0.0.5" ||
					!strings.Contains(string(hits[0].Body), `"fields":{"ip":"10.0.0.5"}`) {
					t.Fatalf("body %s (%v)", hits[0].Body, err)
				}
				return
			}
			f := app.AsFault(err)
			if err == nil || f.Transient != tc.transient {
				t.Fatalf("error %v, transient %v, want transient %v", err, f.Transient, tc.transient)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatal("the error shows the secret")
			}
			if tc.name == "ErrWrongSecret" {
				if hits := w.Hits(); len(hits) != 1 || hits[0].Valid || hits[0].SignError != "bad signature" {
					t.Fatalf("the receiver saw %+v", hits)
				}
			}
		})
	}
}

// TestVerify: a receiver refuses a changed body, another secret and an
// old timestamp.
func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ts := "1800000000"
	body := []byte(`{"kind":"ready"}`)
	sig := notify.Sign([]byte("k"), ts, body)
	for _, tc := range []struct {
		name   string
		secret string
		ts     string
		body   string
		now    time.Time
		ok     bool
	}{
		{"OK", "k", ts, string(body), now, true},
		{"ErrBodyChanged", "k", ts, `{"kind":"failed"}`, now, false},
		{"ErrOtherSecret", "x", ts, string(body), now, false},
		{"ErrReplayedLater", "k", ts, string(body), now.Add(time.Hour), false},
		{"ErrTimestampChanged", "k", "1800000001", string(body), now, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := notify.Verify([]byte(tc.secret), tc.ts, sig, []byte(tc.body), tc.now, 5*time.Minute)
			if (err == nil) != tc.ok {
				t.Fatalf("verify: %v", err)
			}
		})
	}
}

// TestEmail: over STARTTLS with the server's CA and a password, the
// message reaches the expanded recipients with its subject and body; an
// untrusted certificate, a wrong password and a server that wants TLS
// from a channel told to send without it all fail permanently.
func TestEmail(t *testing.T) {
	srv, err := notifytest.NewSMTP("dvmm", "mail-pw")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ch := app.NotifyChannel{ID: "ch2", Kind: app.ChannelEmail, SMTP: srv.Addr(), From: "dvmm@example.com",
		To: []string{"{user}@example.com", "ops@example.com"}, Username: "dvmm", CAPEM: srv.CAPEM(), HasSecret: true}
	for _, tc := range []struct {
		name     string
		change   func(*app.NotifyChannel)
		password string
		ok       bool
	}{
		{name: "OK", password: "mail-pw", ok: true},
		{name: "ErrUntrustedCertificate", change: func(c *app.NotifyChannel) { c.CAPEM = "" }, password: "mail-pw"},
		{name: "ErrWrongPassword", password: "nope"},
		{name: "ErrNoTLS", change: func(c *app.NotifyChannel) { c.NoTLS, c.Username = true, "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ch
			if tc.change != nil {
				tc.change(&c)
			}
			before := len(srv.Mails())
			err := notify.New().Deliver(context.Background(), c, []byte(tc.password), sample())
			mails := srv.Mails()[before:]
			if !tc.ok {
				if err == nil || app.AsFault(err).Transient || len(mails) != 0 {
					t.Fatalf("error %v (transient %v), %d mails", err, app.AsFault(err).Transient, len(mails))
				}
				t.Log(err)
				if strings.Contains(err.Error(), "mail-pw") {
					t.Fatal("the error shows the password")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(mails) != 1 {
				t.Fatalf("%d mails", len(mails))
			}
			m := mails[0]
			if !m.TLS || m.User != "dvmm" || m.From != "dvmm@example.com" || strings.Join(m.To, ",") != "bob@example.com,ops@example.com" {
				t.Fatalf("mail %+v", m)
			}
			for _, want := range []string{"Subject: [dvmm] VM web-01 is ready", "To: <bob@example.com>, <ops@example.com>", "IP:        10.0.0.5", "X-Dvmm-Delivery: notify:ch1:r1:1"} {
				if !strings.Contains(m.Data, want) {
					t.Fatalf("mail lacks %q:\n%s", want, m.Data)
				}
			}
		})
	}
}
