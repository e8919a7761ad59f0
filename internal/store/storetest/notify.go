package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/app/apptest"
)

// testNotify: an event worth telling queues one delivery per matching
// channel in its transaction; the queue's workers deliver it, retrying
// transient failures with backoff (on the App's clock) and failing
// permanent ones at once; the secret is sealed apart from the log; a
// rebuild queues nothing again.
func testNotify(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	clock := apptest.NewClock(T0)
	nt := &apptest.Notifier{}
	a := app.New(s, &apptest.Hypervisor{}, apptest.Sealer{})
	a.Clock, a.Notifier = clock, nt
	a.Retries = app.RetryPolicy{Base: 10 * time.Second, Max: 40 * time.Second, MaxAttempts: 4, Wait: 15 * time.Second}
	alice := app.Actor{User: "alice", Tenant: "acme"}
	bob := app.Actor{User: "bob", Tenant: "acme"}
	_, err := a.CreateTenant(ctx, alice, "acme", "alice")
	must(t, err)
	_, err = a.AddMember(ctx, alice, "acme", "bob", app.RoleUser)
	must(t, err)
	_, err = a.CreateProject(ctx, alice, "shop")
	must(t, err)
	const secret = "hook-secret-4711"
	hook, err := a.AddNotifyChannel(ctx, alice, app.NotifyChannel{Kind: app.ChannelWebhook, URL: "https://hooks.example/dvmm",
		Events: []string{app.NotifyApprovalNeeded, app.NotifyRejected}}, secret)
	must(t, err)
	mailer, err := a.AddNotifyChannel(ctx, alice, app.NotifyChannel{Kind: app.ChannelEmail, SMTP: "mail.example:587", From: "dvmm@example.com",
		To: []string{"{user}@example.com"}, Events: []string{app.NotifyRejected}}, "")
	must(t, err)
	notifies := func() []app.Command {
		t.Helper()
		cmds, err := s.ListCommands(ctx, "acme")
		must(t, err)
		var out []app.Command
		for _, c := range cmds {
			if c.Type == app.CmdNotify {
				out = append(out, c)
			}
		}
		return out
	}
	drain := func() {
		t.Helper()
		_, err := a.Drain(ctx, "w1", 1, time.Minute)
		must(t, err)
	}

	// Fails twice (503), then delivered: three calls, one command, done.
	nt.Fn = apptest.FailTimes(2, &app.Fault{Code: "WEBHOOK_STATUS", Message: "webhook answered 503 Service Unavailable", Transient: true})
	r, err := a.CreateRequest(ctx, bob, app.NewRequestInput{Name: "web-01", Size: "S", Project: "shop", Justification: "load tests for the shop"})
	must(t, err)
	cmds := notifies()
	if len(cmds) != 1 || cmds[0].Key != "notify:"+hook.ID+":"+r.ID+":1" || cmds[0].Slot != "" {
		t.Fatalf("after a request: %+v, want one delivery to the webhook, in no task slot", cmds)
	}
	drain()
	if c := notifies()[0]; c.Status != app.CommandPending || c.Attempts != 1 || !strings.Contains(c.LastError, "503") {
		t.Fatalf("after a 503: %+v", c)
	}
	drain() // not due yet
	if n := len(nt.Calls()); n != 1 {
		t.Fatalf("%d calls before the retry was due", n)
	}
	for range 2 {
		clock.Advance(a.Retries.Max)
		drain()
	}
	c := notifies()[0]
	calls := nt.Calls()
	if c.Status != app.CommandDone || c.Attempts != 3 || len(calls) != 3 || calls[2].Err != nil {
		t.Fatalf("after two failures: %+v, %d calls", c, len(calls))
	}
	n := calls[2].Notification
	if calls[2].Secret != secret || n.Kind != app.NotifyApprovalNeeded || n.Event.Type != app.EvRequestCreated || n.Event.Actor != "bob" ||
		n.Request == nil || n.Request.Name != "web-01" || strings.Join(n.Audience, ",") != "alice" || n.ID != c.Key {
		t.Fatalf("delivered %+v with secret %q", n, calls[2].Secret)
	}
	clock.Advance(time.Hour)
	drain()
	if len(nt.Calls()) != 3 {
		t.Fatal("a delivered notification was sent again")
	}

	// A rejection goes to both channels; a 404 fails the webhook's at once.
	nt.Fn = func(_ context.Context, ch app.NotifyChannel, _ []byte, _ app.Notification) error {
		if ch.Kind == app.ChannelWebhook {
			return &app.Fault{Code: "WEBHOOK_STATUS", Message: "webhook answered 404 Not Found"}
		}
		return nil
	}
	_, err = a.Reject(ctx, alice, r.ID, "not in this quarter's budget", 0)
	must(t, err)
	drain()
	byKey := map[string]app.Command{}
	for _, c := range notifies() {
		byKey[c.Key] = c
	}
	if len(byKey) != 3 {
		t.Fatalf("queue %+v, want three deliveries", byKey)
	}
	if c := byKey["notify:"+hook.ID+":"+r.ID+":2"]; c.Status != app.CommandFailed || c.Attempts != 1 {
		t.Fatalf("a 404: %+v", c)
	}
	if c := byKey["notify:"+mailer.ID+":"+r.ID+":2"]; c.Status != app.CommandDone {
		t.Fatalf("the email: %+v", c)
	}
	var mailed []string
	for _, call := range nt.Calls() {
		if call.Channel.ID == mailer.ID {
			mailed = append(mailed, call.Channel.Recipients(call.Notification.Audience)...)
		}
	}
	if strings.Join(mailed, ",") != "bob@example.com" {
		t.Fatalf("mailed to %v", mailed)
	}

	// The secret is in no event; a rebuild queues nothing.
	evs, err := s.ReadLog(ctx, 0, 1000)
	must(t, err)
	for _, e := range evs {
		data, _ := app.EncodePayload(e.Data)
		if strings.Contains(string(data), secret) {
			t.Fatalf("event %s holds the secret", e.Type)
		}
	}
	must(t, a.Rebuild(ctx))
	if len(notifies()) != 3 {
		t.Fatal("a rebuild queued deliveries")
	}

	// A removed channel's queued deliveries end unsent.
	r2, err := a.CreateRequest(ctx, bob, app.NewRequestInput{Name: "web-02", Size: "S", Project: "shop", Justification: "load tests for the shop"})
	must(t, err)
	_, err = a.RemoveNotifyChannel(ctx, alice, mailer.ID)
	must(t, err)
	_, err = a.RemoveNotifyChannel(ctx, alice, hook.ID[:6])
	must(t, err)
	if sealed, err := s.Secret(ctx, "acme", app.NotifySecret(hook.ID)); err == nil && len(sealed) != 0 {
		t.Fatal("a removed channel's secret is still stored")
	}
	before := len(nt.Calls())
	drain()
	for _, c := range notifies() {
		if c.RequestID == r2.ID && (c.Status != app.CommandFailed || c.LastError != "the channel was removed") {
			t.Fatalf("a delivery of a removed channel: %+v", c)
		}
	}
	if len(nt.Calls()) != before {
		t.Fatal("a removed channel was delivered to")
	}
	if chans, err := a.ListNotifyChannels(ctx, alice); err != nil || len(chans) != 0 {
		t.Fatalf("channels after removal: %v, %v", chans, err)
	}
}
