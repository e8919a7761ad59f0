package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Notifications: a tenant's admins add channels (a webhook, an SMTP
// server and addresses) that are told of chosen events of the tenant's
// requests. A channel is kept on the tenant's stream; its secret (the
// webhook's signing key, the SMTP password) is sealed apart from the log,
// like the vCenter password. An event worth telling queues one delivery
// per matching channel in the transaction that records it (the outbox
// the provisioning uses), and the queue's workers deliver it, retrying
// transient failures with the provisioning's backoff. No command waits
// for a delivery.

const (
	EvNotifyChannelAdded   = "tenant.notify_channel_added"
	EvNotifyChannelRemoved = "tenant.notify_channel_removed"

	// CmdNotify delivers one notification through one channel.
	CmdNotify = "Notify"
)

// ChannelKind is how a channel delivers.
type ChannelKind string

const (
	ChannelWebhook ChannelKind = "webhook"
	ChannelEmail   ChannelKind = "email"
)

// Audience says who a notification is for.
type Audience string

const (
	AudienceAdmins    Audience = "admins"    // the tenant's admins
	AudienceRequester Audience = "requester" // the request's requester
)

// Notification kinds: the names a channel subscribes to.
const (
	NotifyApprovalNeeded = "approval-needed"
	NotifyApproved       = "approved"
	NotifyRejected       = "rejected"
	NotifyReady          = "ready"
	NotifyFailed         = "failed"
	NotifyDecommissioned = "decommissioned"
	// NotifyTest is the kind of the message a channel test sends; no
	// channel subscribes to it.
	NotifyTest = "test"
)

// notifyRule says which notification an event type makes.
type notifyRule struct {
	Event    string
	Kind     string
	Audience Audience
	Subject  string // the message's subject; %s is the request's name
}

// notifyKinds is the one table from event types to notification kinds
// and their audiences. An event type not in it is never told; a row added
// here is a kind channels can subscribe to.
var notifyKinds = []notifyRule{
	{EvRequestCreated, NotifyApprovalNeeded, AudienceAdmins, "Request %s needs approval"},
	{EvRequestApproved, NotifyApproved, AudienceRequester, "Request %s approved"},
	{EvRequestRejected, NotifyRejected, AudienceRequester, "Request %s rejected"},
	{EvVMProvisioned, NotifyReady, AudienceRequester, "VM %s is ready"},
	{EvVMProvisioningFailed, NotifyFailed, AudienceRequester, "VM %s failed"},
	{EvVMDecommissioned, NotifyDecommissioned, AudienceRequester, "VM %s decommissioned"},
}

// NotifyKinds lists the kinds a channel can subscribe to.
func NotifyKinds() []string {
	var out []string
	for _, k := range notifyKinds {
		if !slices.Contains(out, k.Kind) {
			out = append(out, k.Kind)
		}
	}
	return out
}

// NotifyChannel is a channel as the log keeps it: never its secret.
type NotifyChannel struct {
	ID     string      `json:"id"`
	Kind   ChannelKind `json:"kind"`
	Events []string    `json:"events"`
	// Webhook
	URL string `json:"url,omitempty"`
	// Email: the SMTP server (host:port), the sender and the recipients.
	// A recipient holding {user} stands for one address per user of the
	// audience, the user's name put in its place.
	SMTP     string   `json:"smtp,omitempty"`
	From     string   `json:"from,omitempty"`
	To       []string `json:"to,omitempty"`
	Username string   `json:"username,omitempty"`
	// CAPEM is the certificate authority the SMTP server's certificate is
	// checked against (the system's when empty).
	CAPEM string `json:"ca_pem,omitempty"`
	// NoTLS sends in clear text, without STARTTLS: only when asked for.
	NoTLS bool `json:"no_tls,omitempty"`
	// HasSecret: a signing key (webhook) or a password (email) is sealed.
	HasSecret bool `json:"has_secret"`
}

// NotifyChannelAdded records a new channel.
type NotifyChannelAdded struct {
	Channel NotifyChannel `json:"channel"`
}

// NotifyChannelRemoved records that a channel was removed.
type NotifyChannelRemoved struct {
	ID string `json:"id"`
}

func (NotifyChannelAdded) EventType() string   { return EvNotifyChannelAdded }
func (NotifyChannelRemoved) EventType() string { return EvNotifyChannelRemoved }

// Validate checks a channel as an admin gives it.
func (c NotifyChannel) Validate() error {
	if len(c.Events) == 0 {
		return Errorf(KindInvalid, "name the events to tell: %s", strings.Join(NotifyKinds(), ", "))
	}
	kinds := NotifyKinds()
	for _, e := range c.Events {
		if !slices.Contains(kinds, e) {
			return Errorf(KindInvalid, "unknown event %s: use %s", quote(e, 30), strings.Join(kinds, ", "))
		}
	}
	switch c.Kind {
	case ChannelWebhook:
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return Errorf(KindInvalid, "webhook URL %s is not an http or https URL", quote(c.URL, 60))
		}
		if u.User != nil {
			return Errorf(KindInvalid, "webhook URL must not carry a user or password")
		}
		if !c.HasSecret {
			return Errorf(KindInvalid, "a webhook needs a signing secret")
		}
	case ChannelEmail:
		host, port, err := net.SplitHostPort(c.SMTP)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			return Errorf(KindInvalid, "SMTP server %s is not host:port", quote(c.SMTP, 60))
		}
		if _, err := mail.ParseAddress(c.From); err != nil {
			return Errorf(KindInvalid, "sender %s is not a mail address", quote(c.From, 60))
		}
		if len(c.To) == 0 {
			return Errorf(KindInvalid, "name at least one recipient")
		}
		for _, to := range c.To {
			if _, err := mail.ParseAddress(strings.ReplaceAll(to, "{user}", "user")); err != nil {
				return Errorf(KindInvalid, "recipient %s is not a mail address", quote(to, 60))
			}
		}
		if c.HasSecret && c.Username == "" {
			return Errorf(KindInvalid, "an SMTP password needs a user name")
		}
		if c.NoTLS && c.HasSecret {
			return Errorf(KindInvalid, "an SMTP password is never sent without TLS")
		}
	default:
		return Errorf(KindInvalid, "unknown channel kind %s: use webhook or email", quote(string(c.Kind), 20))
	}
	return nil
}

// Wants reports whether the channel tells notifications of kind.
func (c NotifyChannel) Wants(kind string) bool { return slices.Contains(c.Events, kind) }

// AddNotifyChannel decides adding a channel (admins).
func (t *Tenant) AddNotifyChannel(actor string, c NotifyChannel) ([]Payload, error) {
	if err := t.RequireAdmin(actor, "manage notification channels"); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return []Payload{NotifyChannelAdded{Channel: c}}, nil
}

// RemoveNotifyChannel decides removing a channel (admins).
func (t *Tenant) RemoveNotifyChannel(actor, ref string) ([]Payload, error) {
	if err := t.RequireAdmin(actor, "manage notification channels"); err != nil {
		return nil, err
	}
	c, err := t.NotifyChannel(ref)
	if err != nil {
		return nil, err
	}
	return []Payload{NotifyChannelRemoved{ID: c.ID}}, nil
}

// NotifyChannel finds a channel by its id or a unique prefix of it.
func (t *Tenant) NotifyChannel(ref string) (NotifyChannel, error) {
	var found []NotifyChannel
	for _, c := range t.channels {
		if ref != "" && strings.HasPrefix(c.ID, ref) {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return NotifyChannel{}, Errorf(KindNotFound, "notification channel %s not found in tenant %s", quote(ref, 20), t.name)
	}
	return NotifyChannel{}, Errorf(KindInvalid, "%d notification channels start with %s: give more of the id", len(found), quote(ref, 20))
}

// NotifyChannels lists the tenant's channels, oldest first.
func (t *Tenant) NotifyChannels() []NotifyChannel {
	return append([]NotifyChannel{}, t.channels...)
}

// Admins lists the tenant's admins by name.
func (t *Tenant) Admins() []string {
	var out []string
	for u, r := range t.members {
		if r == RoleAdmin {
			out = append(out, u)
		}
	}
	sort.Strings(out)
	return out
}

// NotifySecret names a channel's sealed secret among the tenant's secrets.
func NotifySecret(channelID string) string { return "notify-channel:" + channelID }

// Notification is what a channel delivers: the event, the request as it
// stood right after it, and who it is for.
type Notification struct {
	// ID identifies the delivery; a receiver that sees one twice (a retry
	// after an answer that was lost) can drop the second.
	ID       string       `json:"id"`
	Kind     string       `json:"kind"`
	Tenant   string       `json:"tenant"`
	Subject  string       `json:"subject"`
	Audience []string     `json:"audience"`
	Event    NotifyEvent  `json:"event"`
	Request  *RequestView `json:"request,omitempty"`
	Channel  string       `json:"channel"`
}

// NotifyEvent is the event a notification tells of.
type NotifyEvent struct {
	Type   string          `json:"type"`
	Time   time.Time       `json:"time"`
	Actor  string          `json:"actor,omitempty"`
	Fields json.RawMessage `json:"fields"`
}

// Body is the message's text for people (email).
func (n Notification) Body() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", n.Subject)
	if r := n.Request; r != nil {
		fmt.Fprintf(&b, "Request:   %s\nName:      %s\nProject:   %s\nSize:      %s\nRequester: %s\nStatus:    %s\n", r.ID, r.Name, r.Project, r.Size, r.Requester, r.Status)
		if r.Reason != "" {
			fmt.Fprintf(&b, "Reason:    %s\n", r.Reason)
		}
		if r.VM != nil && r.VM.IP != "" {
			fmt.Fprintf(&b, "IP:        %s\n", r.VM.IP)
		}
		if r.VM != nil && r.VM.Error != "" {
			fmt.Fprintf(&b, "Error:     %s\n", r.VM.Error)
		}
	}
	fmt.Fprintf(&b, "\nEvent %s at %s", n.Event.Type, n.Event.Time.Format(time.RFC3339))
	if n.Event.Actor != "" {
		fmt.Fprintf(&b, " by %s", n.Event.Actor)
	}
	fmt.Fprintf(&b, "\nTenant %s, delivery %s\n", n.Tenant, n.ID)
	return b.String()
}

// Recipients expands the channel's recipients for the audience: an
// address with {user} gives one address per user, the others are kept.
func (c NotifyChannel) Recipients(audience []string) []string {
	var out []string
	for _, to := range c.To {
		if !strings.Contains(to, "{user}") {
			out = append(out, to)
			continue
		}
		for _, u := range audience {
			out = append(out, strings.ReplaceAll(to, "{user}", u))
		}
	}
	return out
}

// Notifier delivers notifications. Errors are *Fault values, classified
// as transient (retried) or permanent.
type Notifier interface {
	Deliver(ctx context.Context, c NotifyChannel, secret []byte, n Notification) error
}

// NotifyWork is the payload of CmdNotify: the notification as it was
// when the event was recorded.
type NotifyWork struct {
	Channel      string       `json:"channel"`
	Notification Notification `json:"notification"`
}

// notifyFor queues a delivery of e for every channel of its tenant that
// tells its kind, in the transaction that recorded e. The key makes a
// second queuing of the same event and channel a no-op.
func (a *App) notifyFor(ctx context.Context, tx Tx, e Event) error {
	i := slices.IndexFunc(notifyKinds, func(k notifyRule) bool { return k.Event == e.Type })
	if i < 0 || e.TenantID == "" {
		return nil
	}
	k := notifyKinds[i]
	t, err := loadTenant(ctx, tx, e.TenantID)
	if err != nil {
		return err
	}
	var chans []NotifyChannel
	for _, c := range t.NotifyChannels() {
		if c.Wants(k.Kind) {
			chans = append(chans, c)
		}
	}
	if len(chans) == 0 {
		return nil
	}
	requestID := e.StreamID
	if e.StreamType == StreamVM {
		requestID = RequestIDOfVM(e.StreamID)
	}
	n := Notification{Kind: k.Kind, Tenant: e.TenantID, Event: NotifyEvent{Type: e.Type, Time: e.At, Actor: e.Meta.Actor}}
	if n.Event.Fields, err = eventFields(e.Data); err != nil {
		return err
	}
	v, err := tx.Request(ctx, requestID)
	if err != nil {
		return err
	}
	n.Request = &v
	n.Subject = fmt.Sprintf(k.Subject, v.Name)
	switch k.Audience {
	case AudienceAdmins:
		n.Audience = t.Admins()
	case AudienceRequester:
		n.Audience = []string{v.Requester}
	}
	for _, c := range chans {
		key := fmt.Sprintf("notify:%s:%s:%d", c.ID, e.StreamID, e.Version)
		n.ID, n.Channel = key, c.ID
		actor := Actor{Tenant: e.TenantID, CorrelationID: e.Meta.CorrelationID}
		if err := a.enqueue(ctx, tx, key, CmdNotify, actor, requestID, NotifyWork{Channel: c.ID, Notification: n}, a.Now()); err != nil {
			return err
		}
	}
	return nil
}

// eventFields is an event's payload as a notification shows it: never a
// request's user data, which may hold the guest's secrets.
func eventFields(p Payload) (json.RawMessage, error) {
	data, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return data, nil
	}
	delete(m, "user_data")
	return json.Marshal(m)
}

// AddNotifyChannel adds a channel to the actor's tenant and seals its
// secret (the webhook's signing key or the SMTP password).
func (a *App) AddNotifyChannel(ctx context.Context, actor Actor, c NotifyChannel, secret string) (NotifyChannel, error) {
	if err := needTenant(actor); err != nil {
		return NotifyChannel{}, err
	}
	if err := needUser(actor); err != nil {
		return NotifyChannel{}, err
	}
	c.ID = a.NewID()
	c.HasSecret = secret != ""
	err := a.Store.Update(ctx, func(tx Tx) error {
		t, err := loadTenant(ctx, tx, actor.Tenant)
		if err != nil {
			return err
		}
		payloads, err := t.AddNotifyChannel(actor.User, c)
		if err != nil {
			return err
		}
		if secret != "" {
			if a.Secrets == nil {
				return Errorf(KindUnavailable, "no secret key is available to seal the channel's secret")
			}
			sealed, err := a.Secrets.Seal([]byte(secret))
			if ErrorCode(err) == CodeSecretKey {
				return err
			}
			if err != nil {
				return Errorf(KindUnavailable, "cannot seal the channel's secret: %v", err)
			}
			if err := tx.PutSecret(ctx, actor.Tenant, NotifySecret(c.ID), sealed, a.Now()); err != nil {
				return err
			}
		}
		_, err = a.record(ctx, tx, actor.Tenant, StreamTenant, actor.Tenant, t.Version(), a.meta(actor), payloads...)
		return err
	})
	if err != nil {
		return NotifyChannel{}, err
	}
	return c, nil
}

// RemoveNotifyChannel removes a channel; deliveries queued for it end
// without being sent.
func (a *App) RemoveNotifyChannel(ctx context.Context, actor Actor, ref string) (NotifyChannel, error) {
	if err := needTenant(actor); err != nil {
		return NotifyChannel{}, err
	}
	var out NotifyChannel
	err := a.Store.Update(ctx, func(tx Tx) error {
		t, err := loadTenant(ctx, tx, actor.Tenant)
		if err != nil {
			return err
		}
		payloads, err := t.RemoveNotifyChannel(actor.User, ref)
		if err != nil {
			return err
		}
		out, _ = t.NotifyChannel(ref)
		if out.HasSecret {
			// The sealed secret goes with the channel.
			if err := tx.PutSecret(ctx, actor.Tenant, NotifySecret(out.ID), []byte{}, a.Now()); err != nil {
				return err
			}
		}
		_, err = a.record(ctx, tx, actor.Tenant, StreamTenant, actor.Tenant, t.Version(), a.meta(actor), payloads...)
		return err
	})
	return out, err
}

// ListNotifyChannels lists the tenant's channels (admins).
func (a *App) ListNotifyChannels(ctx context.Context, actor Actor) ([]NotifyChannel, error) {
	t, err := a.memberOf(ctx, actor)
	if err != nil {
		return nil, err
	}
	if err := t.RequireAdmin(actor.User, "see notification channels"); err != nil {
		return nil, err
	}
	return t.NotifyChannels(), nil
}

// NotifyTestResult is how a channel's test message went.
type NotifyTestResult struct {
	Channel string `json:"channel"`
	OK      bool   `json:"ok"`
	Code    string `json:"code,omitempty"`
	Error   string `json:"error,omitempty"`
}

// TestNotifyChannel sends a test message through a channel now, by this
// process, and reports how it went; it records nothing.
func (a *App) TestNotifyChannel(ctx context.Context, actor Actor, ref string) (NotifyTestResult, error) {
	t, err := a.memberOf(ctx, actor)
	if err != nil {
		return NotifyTestResult{}, err
	}
	if err := t.RequireAdmin(actor.User, "test notification channels"); err != nil {
		return NotifyTestResult{}, err
	}
	c, err := t.NotifyChannel(ref)
	if err != nil {
		return NotifyTestResult{}, err
	}
	now := a.Now()
	fields, _ := json.Marshal(map[string]string{"by": actor.User})
	n := Notification{ID: "test:" + c.ID + ":" + a.NewID(), Kind: NotifyTest, Tenant: actor.Tenant, Channel: c.ID,
		Subject: "Test message from dvmm", Audience: []string{actor.User},
		Event: NotifyEvent{Type: NotifyTest, Time: now, Actor: actor.User, Fields: fields}}
	res := NotifyTestResult{Channel: c.ID, OK: true}
	if err := a.deliver(ctx, actor.Tenant, c, n); err != nil {
		f := AsFault(err)
		res.OK, res.Code, res.Error = false, f.Code, f.Message
	}
	return res, nil
}

// Fault codes of deliveries.
const (
	FaultNotifyNoSecret = "NOTIFY_SECRET_UNAVAILABLE"
	FaultNotifyNone     = "NOTIFY_NOT_WIRED"
)

// deliver opens the channel's secret and hands the notification to the
// notifier.
func (a *App) deliver(ctx context.Context, tenant string, c NotifyChannel, n Notification) error {
	if a.Notifier == nil {
		return &Fault{Code: FaultNotifyNone, Message: "no notifier is wired into this process", Transient: true}
	}
	var secret []byte
	if c.HasSecret {
		sealed, err := a.Vault.Secret(ctx, tenant, NotifySecret(c.ID))
		if err != nil {
			return &Fault{Code: FaultNotifyNoSecret, Message: "the channel's secret is not stored", Err: err}
		}
		if a.Secrets == nil {
			return &Fault{Code: FaultNotifyNoSecret, Message: "no secret key is available to open the channel's secret"}
		}
		if secret, err = a.Secrets.Open(sealed); err != nil {
			return &Fault{Code: FaultNotifyNoSecret, Message: "the channel's secret cannot be opened with this secret key"}
		}
	}
	return a.Notifier.Deliver(ctx, c, secret, n)
}

// handleNotify delivers one queued notification: done when it went out,
// again after the provisioning's backoff for a transient failure while
// attempts remain, failed otherwise. A removed channel ends it unsent.
func (a *App) handleNotify(ctx context.Context, cmd Command) error {
	var p NotifyWork
	if err := json.Unmarshal(cmd.Payload, &p); err != nil {
		return a.finish(ctx, cmd.ID, Outcome{Status: CommandFailed, Error: "bad payload: " + err.Error()})
	}
	t, err := loadTenant(ctx, a.Events, cmd.Tenant)
	if err != nil {
		return err
	}
	c, err := t.NotifyChannel(p.Channel)
	if err != nil || c.ID != p.Channel {
		return a.finish(ctx, cmd.ID, Outcome{Status: CommandFailed, Spent: true, Error: "the channel was removed"})
	}
	err = a.deliver(ctx, cmd.Tenant, c, p.Notification)
	if err == nil {
		return a.finish(ctx, cmd.ID, Outcome{Status: CommandDone, Spent: true})
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	f := AsFault(err)
	spent := cmd.Attempts + 1
	if f.Transient && spent < a.Retries.MaxAttempts {
		delay := a.Retries.Delay(spent + 1)
		a.Log.Warn("notification not delivered; retrying", slog.String("channel", c.ID), slog.String("error", f.Message), slog.Duration("in", delay))
		return a.finish(ctx, cmd.ID, Outcome{Status: CommandPending, RunAt: a.Now().Add(delay), Spent: true, Error: f.Message})
	}
	a.Log.Warn("notification not delivered", slog.String("channel", c.ID), slog.String("error", f.Message))
	return a.finish(ctx, cmd.ID, Outcome{Status: CommandFailed, Spent: true, Error: f.Message})
}

// resendNotification queues a failed delivery again, as a new command
// with its own attempts; the notification keeps its id, so a receiver
// that got it after all can drop the copy.
func (a *App) resendNotification(ctx context.Context, actor Actor, it QueueItem) (QueueItem, error) {
	key := it.Key + ":again:" + a.NewID()[:6]
	var p NotifyWork
	if err := json.Unmarshal(it.Payload, &p); err != nil {
		return it, Errorf(KindInvalid, "command %d has a bad payload", it.ID)
	}
	err := a.enqueue(ctx, a.Queue, key, CmdNotify, Actor{Tenant: it.Tenant, CorrelationID: it.Correlation}, it.RequestID, p, a.Now())
	if err != nil {
		return it, err
	}
	items, err := a.ListQueue(ctx, actor)
	if err != nil {
		return it, err
	}
	for _, now := range items {
		if now.Key == key {
			return now, nil
		}
	}
	return it, nil
}
