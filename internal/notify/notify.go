// Package notify delivers dvmm's notifications: webhooks over HTTP(S),
// signed with HMAC-SHA256, and email over SMTP with STARTTLS. It is the
// adapter behind app.Notifier; its errors are *app.Fault values, classified
// as transient (retried through the queue) or permanent.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/dvmm/dvmm/internal/app"
)

// Header names of a webhook delivery.
const (
	HeaderSignature = "X-Dvmm-Signature"
	HeaderTimestamp = "X-Dvmm-Timestamp"
	HeaderDelivery  = "X-Dvmm-Delivery"
	HeaderKind      = "X-Dvmm-Event"
)

// Fault codes of deliveries.
const (
	FaultWebhookStatus      = "WEBHOOK_STATUS"
	FaultWebhookUnreachable = "WEBHOOK_UNREACHABLE"
	FaultSMTP               = "SMTP_FAILED"
	FaultSMTPUnreachable    = "SMTP_UNREACHABLE"
	FaultBadChannel         = "NOTIFY_BAD_CHANNEL"
)

// Notifier delivers through webhooks and SMTP.
type Notifier struct {
	// Timeout bounds one delivery (connect, send, answer).
	Timeout time.Duration
	// Now stamps webhook deliveries; the system clock when nil.
	Now func() time.Time
	// HTTP is the client of webhooks; one with Timeout and no redirects
	// when nil.
	HTTP *http.Client
}

var _ app.Notifier = (*Notifier)(nil)

// New returns a notifier with a 10-second timeout.
func New() *Notifier { return &Notifier{Timeout: 10 * time.Second} }

// Deliver sends n through c.
func (nt *Notifier) Deliver(ctx context.Context, c app.NotifyChannel, secret []byte, n app.Notification) error {
	timeout := nt.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch c.Kind {
	case app.ChannelWebhook:
		return nt.webhook(ctx, c, secret, n)
	case app.ChannelEmail:
		return nt.email(ctx, c, secret, n, timeout)
	}
	return &app.Fault{Code: FaultBadChannel, Message: "unknown channel kind " + strconv.Quote(string(c.Kind))}
}

// Sign returns the signature header value of a webhook body sent at ts
// (Unix seconds): "sha256=" and the hex HMAC-SHA256, keyed with the
// channel's secret, of the timestamp, a dot and the body.
func Sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a webhook delivery as a receiver does: the signature
// matches, and the timestamp is within tolerance of now.
func Verify(secret []byte, ts, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("bad timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errors.New("timestamp out of tolerance")
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(signature)) {
		return errors.New("bad signature")
	}
	return nil
}

func (nt *Notifier) now() time.Time {
	if nt.Now != nil {
		return nt.Now()
	}
	return time.Now()
}

func (nt *Notifier) client() *http.Client {
	if nt.HTTP != nil {
		return nt.HTTP
	}
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (nt *Notifier) webhook(ctx context.Context, c app.NotifyChannel, secret []byte, n app.Notification) error {
	body, err := json.Marshal(n)
	if err != nil {
		return &app.Fault{Code: FaultBadChannel, Message: "cannot encode the notification: " + err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return &app.Fault{Code: FaultBadChannel, Message: "bad webhook URL"}
	}
	ts := strconv.FormatInt(nt.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "dvmm-webhook")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(secret, ts, body))
	req.Header.Set(HeaderDelivery, n.ID)
	req.Header.Set(HeaderKind, n.Kind)
	resp, err := nt.client().Do(req)
	if err != nil {
		// The URL may carry a token: say what failed without it.
		var ue *url.Error
		msg := err.Error()
		if errors.As(err, &ue) {
			msg = ue.Err.Error()
		}
		if errors.Is(err, context.DeadlineExceeded) {
			msg = "no answer in time"
		}
		return &app.Fault{Code: FaultWebhookUnreachable, Message: "webhook unreachable: " + msg, Transient: true}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return nil
	case s == http.StatusTooManyRequests || s >= 500:
		return &app.Fault{Code: FaultWebhookStatus, Message: "webhook answered " + resp.Status, Transient: true}
	default:
		return &app.Fault{Code: FaultWebhookStatus, Message: "webhook answered " + resp.Status}
	}
}

func (nt *Notifier) email(ctx context.Context, c app.NotifyChannel, password []byte, n app.Notification, timeout time.Duration) error {
	host, portText, err := net.SplitHostPort(c.SMTP)
	port, perr := strconv.Atoi(portText)
	if err != nil || perr != nil {
		return &app.Fault{Code: FaultBadChannel, Message: "SMTP server is not host:port"}
	}
	to := c.Recipients(n.Audience)
	if len(to) == 0 {
		return &app.Fault{Code: FaultBadChannel, Message: "no recipient"}
	}
	tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if c.CAPEM != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(c.CAPEM)) {
			return &app.Fault{Code: FaultBadChannel, Message: "the channel's CA holds no certificate"}
		}
		tc.RootCAs = pool
	}
	opts := []mail.Option{mail.WithPort(port), mail.WithTimeout(timeout), mail.WithTLSConfig(tc), mail.WithTLSPolicy(mail.TLSMandatory)}
	if c.NoTLS {
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if len(password) > 0 {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(c.Username), mail.WithPassword(string(password)))
	}
	cl, err := mail.NewClient(host, opts...)
	if err != nil {
		return &app.Fault{Code: FaultBadChannel, Message: "SMTP client: " + err.Error()}
	}
	m := mail.NewMsg()
	if err := m.From(c.From); err != nil {
		return &app.Fault{Code: FaultBadChannel, Message: "bad sender: " + err.Error()}
	}
	if err := m.To(to...); err != nil {
		return &app.Fault{Code: FaultBadChannel, Message: "bad recipient: " + err.Error()}
	}
	m.Subject("[dvmm] " + n.Subject)
	m.SetDateWithValue(n.Event.Time)
	m.SetGenHeader(HeaderDelivery, n.ID)
	m.SetGenHeader(HeaderKind, n.Kind)
	m.SetBodyString(mail.TypeTextPlain, n.Body())
	if err := cl.DialAndSendWithContext(ctx, m); err != nil {
		return smtpFault(err)
	}
	return nil
}

// smtpFault classifies an SMTP failure: a 4xx answer or a failed
// connection is transient, a 5xx answer, a failed TLS check or a
// refused login permanent.
func smtpFault(err error) error {
	var se *mail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		transient := se.IsTemp() || (code >= 400 && code < 500)
		return &app.Fault{Code: FaultSMTP, Message: "SMTP: " + err.Error(), Transient: transient}
	}
	var ne net.Error
	var oe *net.OpError
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) || errors.As(err, &oe) {
		return &app.Fault{Code: FaultSMTPUnreachable, Message: "SMTP server unreachable: " + err.Error(), Transient: true}
	}
	return &app.Fault{Code: FaultSMTP, Message: fmt.Sprintf("SMTP: %v", err)}
}
