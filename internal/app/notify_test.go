package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/app/apptest"
)

// TestNotifyChannelRefused: a channel that is not whole, or added by a
// non-admin, is refused with its kind and the log stays as it was.
func TestNotifyChannelRefused(t *testing.T) {
	hook := app.NotifyChannel{Kind: app.ChannelWebhook, URL: "https://hooks.example/dvmm", Events: []string{app.NotifyReady}}
	mail := app.NotifyChannel{Kind: app.ChannelEmail, SMTP: "mail.example:587", From: "dvmm@example.com", To: []string{"{user}@example.com"}, Events: []string{app.NotifyReady}}
	with := func(c app.NotifyChannel, change func(*app.NotifyChannel)) app.NotifyChannel {
		c.To = append([]string(nil), c.To...)
		change(&c)
		return c
	}
	for _, tc := range []struct {
		name   string
		by     string
		ch     app.NotifyChannel
		secret string
		kind   app.Kind
	}{
		{"ErrNotAdmin", "bob", hook, "s", app.KindForbidden},
		{"ErrNoEvents", "alice", with(hook, func(c *app.NotifyChannel) { c.Events = nil }), "s", app.KindInvalid},
		{"ErrUnknownEvent", "alice", with(hook, func(c *app.NotifyChannel) { c.Events = []string{"lunch"} }), "s", app.KindInvalid},
		{"ErrTestIsNoEvent", "alice", with(hook, func(c *app.NotifyChannel) { c.Events = []string{app.NotifyTest} }), "s", app.KindInvalid},
		{"ErrWebhookNoSecret", "alice", hook, "", app.KindInvalid},
		{"ErrWebhookNotHTTP", "alice", with(hook, func(c *app.NotifyChannel) { c.URL = "file:///etc/passwd" }), "s", app.KindInvalid},
		{"ErrWebhookUserInURL", "alice", with(hook, func(c *app.NotifyChannel) { c.URL = "https://u:p@hooks.example/" }), "s", app.KindInvalid},
		{"ErrUnknownKind", "alice", with(hook, func(c *app.NotifyChannel) { c.Kind = "pigeon" }), "s", app.KindInvalid},
		{"ErrSMTPNoPort", "alice", with(mail, func(c *app.NotifyChannel) { c.SMTP = "mail.example" }), "", app.KindInvalid},
		{"ErrSMTPBadPort", "alice", with(mail, func(c *app.NotifyChannel) { c.SMTP = "mail.example:99999" }), "", app.KindInvalid},
		{"ErrBadSender", "alice", with(mail, func(c *app.NotifyChannel) { c.From = "not an address" }), "", app.KindInvalid},
		{"ErrNoRecipient", "alice", with(mail, func(c *app.NotifyChannel) { c.To = nil }), "", app.KindInvalid},
		{"ErrBadRecipient", "alice", with(mail, func(c *app.NotifyChannel) { c.To = []string{"ops"} }), "", app.KindInvalid},
		{"ErrPasswordNoUser", "alice", mail, "pw", app.KindInvalid},
		{"ErrPasswordWithoutTLS", "alice", with(mail, func(c *app.NotifyChannel) { c.Username, c.NoTLS = "u", true }), "pw", app.KindInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			before := w.events()
			_, err := w.app.AddNotifyChannel(w.ctx, app.Actor{User: tc.by, Tenant: "acme"}, tc.ch, tc.secret)
			w.wantKind(err, tc.kind)
			if w.events() != before {
				t.Fatal("a refused channel changed the log")
			}
			if strings.Contains(app.ErrorMessage(err), "--") {
				t.Fatalf("the message names a flag: %v", err)
			}
		})
	}
}

// TestNotifyAudienceAndFields: approval-needed goes to every admin, with
// the event's fields but never the request's user data; a failed
// delivery sent again from the queue is a new command with the same
// notification id.
func TestNotifyAudienceAndFields(t *testing.T) {
	w := newWorld(t)
	nt := &apptest.Notifier{Fn: func(context.Context, app.NotifyChannel, []byte, app.Notification) error {
		return &app.Fault{Code: "WEBHOOK_STATUS", Message: "webhook answered 410 Gone"}
	}}
	w.app.Notifier = nt
	_, err := w.app.SetRole(w.ctx, w.alice, "acme", "carol", app.RoleAdmin)
	w.must(err)
	ch, err := w.app.AddNotifyChannel(w.ctx, w.alice, app.NotifyChannel{Kind: app.ChannelWebhook, URL: "https://hooks.example/dvmm",
		Events: []string{app.NotifyApprovalNeeded}}, "s3cret")
	w.must(err)
	_, err = w.app.CreateRequest(w.ctx, w.bob, app.NewRequestInput{Name: "web-01", Size: "S", Project: "shop",
		Justification: "load tests for the shop", UserData: []byte("#cloud-config\npassword: guest-pw-0815\n")})
	w.must(err)
	w.drain()
	calls := nt.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	n := calls[0].Notification
	if strings.Join(n.Audience, ",") != "alice,carol" || n.Subject != "Request web-01 needs approval" || n.Channel != ch.ID {
		t.Fatalf("notification %+v", n)
	}
	if f := string(n.Event.Fields); !strings.Contains(f, `"justification":"load tests for the shop"`) || strings.Contains(f, "guest-pw-0815") || strings.Contains(f, "user_data") {
		t.Fatalf("fields %s", f)
	}
	items, err := w.app.ListQueue(w.ctx, w.alice)
	w.must(err)
	if len(items) != 1 || items[0].State != "failed" || items[0].Attempts != 1 {
		t.Fatalf("queue %+v", items)
	}
	nt.Fn = nil
	again, err := w.app.RetryCommand(w.ctx, w.alice, "1")
	w.must(err)
	if again.ID == items[0].ID || again.Type != app.CmdNotify || again.State != "pending" {
		t.Fatalf("sent again as %+v", again)
	}
	w.drain()
	calls = nt.Calls()
	if len(calls) != 2 || calls[1].Err != nil || calls[1].Notification.ID != n.ID {
		t.Fatalf("calls %+v", calls)
	}
}

// TestNotifyTestMessage: a test message is sent now and its outcome
// reported, nothing recorded; only admins send one.
func TestNotifyTestMessage(t *testing.T) {
	w := newWorld(t)
	nt := &apptest.Notifier{}
	w.app.Notifier = nt
	ch, err := w.app.AddNotifyChannel(w.ctx, w.alice, app.NotifyChannel{Kind: app.ChannelWebhook, URL: "https://hooks.example/dvmm",
		Events: []string{app.NotifyReady}}, "s3cret")
	w.must(err)
	before := w.events()
	res, err := w.app.TestNotifyChannel(w.ctx, w.alice, ch.ID[:5])
	w.must(err)
	if !res.OK || len(nt.Calls()) != 1 || nt.Calls()[0].Secret != "s3cret" || nt.Calls()[0].Notification.Kind != app.NotifyTest {
		t.Fatalf("result %+v, calls %+v", res, nt.Calls())
	}
	nt.Fn = func(context.Context, app.NotifyChannel, []byte, app.Notification) error {
		return &app.Fault{Code: "WEBHOOK_UNREACHABLE", Message: "webhook unreachable: connection refused", Transient: true}
	}
	res, err = w.app.TestNotifyChannel(w.ctx, w.alice, ch.ID)
	w.must(err)
	if res.OK || res.Error != "webhook unreachable: connection refused" {
		t.Fatalf("result %+v", res)
	}
	_, err = w.app.TestNotifyChannel(w.ctx, w.bob, ch.ID)
	w.wantKind(err, app.KindForbidden)
	_, err = w.app.TestNotifyChannel(w.ctx, w.alice, "zzzz")
	w.wantKind(err, app.KindNotFound)
	if w.events() != before {
		t.Fatal("a test message changed the log")
	}
}

// TestNotifyGiveUp: giving a request up drops its vSphere work but not
// the notification that tells its requester it failed.
func TestNotifyGiveUp(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	nt := &apptest.Notifier{}
	w.app.Notifier = nt
	_, err := w.app.AddNotifyChannel(w.ctx, w.alice, app.NotifyChannel{Kind: app.ChannelWebhook, URL: "https://hooks.example/dvmm",
		Events: []string{app.NotifyFailed}}, "s3cret")
	w.must(err)
	w.hv.ProvisionFn = func(context.Context, app.Target, app.MachineSpec, func(app.Stage) error) (app.Machine, error) {
		return app.Machine{}, &app.Fault{Code: app.FaultUnreachable, Message: "vCenter unreachable", Transient: true}
	}
	r := w.create(w.bob, "web-01")
	_, err = w.app.Approve(w.ctx, w.alice, r.ID, 0)
	w.must(err)
	w.drain()
	_, err = w.app.GiveUp(w.ctx, w.alice, r.ID, "vCenter of the lab is gone for good")
	w.must(err)
	if res := w.drain(); res.Failed != 0 {
		t.Fatalf("telling of a failed request counted as a failed run: %+v", res)
	}
	calls := nt.Calls()
	if len(calls) != 1 || calls[0].Notification.Kind != app.NotifyFailed || calls[0].Err != nil ||
		strings.Join(calls[0].Notification.Audience, ",") != "bob" {
		t.Fatalf("calls %+v", calls)
	}
}

// TestNotifyFailedIsNoFailedRun: delivering the news of a FAILED request
// does not count as a failed run of the queue.
func TestNotifyFailedIsNoFailedRun(t *testing.T) {
	w := newWorld(t)
	w.vmware()
	nt := &apptest.Notifier{}
	w.app.Notifier = nt
	_, err := w.app.AddNotifyChannel(w.ctx, w.alice, app.NotifyChannel{Kind: app.ChannelWebhook, URL: "https://hooks.example/dvmm",
		Events: []string{app.NotifyFailed}}, "s3cret")
	w.must(err)
	w.hv.ProvisionFn = func(context.Context, app.Target, app.MachineSpec, func(app.Stage) error) (app.Machine, error) {
		return app.Machine{}, &app.Fault{Code: app.FaultTemplateNotFound, Message: "template missing"}
	}
	r := w.create(w.bob, "web-01")
	_, err = w.app.Approve(w.ctx, w.alice, r.ID, 0)
	w.must(err)
	_, err = w.app.Drive(w.ctx, w.alice, r.ID, time.Minute, nil)
	w.must(err)
	if res := w.drain(); res.Ran != 1 || res.Failed != 0 {
		t.Fatalf("the delivery's run: %+v", res)
	}
	if calls := nt.Calls(); len(calls) != 1 || !strings.Contains(string(calls[0].Notification.Event.Fields), "template missing") {
		t.Fatalf("calls %+v", calls)
	}
}
