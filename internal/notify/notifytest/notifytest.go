// Package notifytest runs the receivers notification tests deliver to: a
// webhook receiver that checks signatures and can be told to fail, and an
// SMTP server that requires STARTTLS and checks a password.
package notifytest

import (
	"crypto/tls"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/dvmm/dvmm/internal/notify"
)

// Hit is one request a Webhook got.
type Hit struct {
	Body      []byte
	Kind      string
	Delivery  string
	Status    int  // what the receiver answered
	Valid     bool // the signature matched the receiver's secret
	SignError string
}

// Webhook is a receiver: it verifies each request's signature with its
// secret and answers 200, or a programmed failure status.
type Webhook struct {
	srv *httptest.Server

	mu     sync.Mutex
	secret []byte
	fail   int
	status int
	hits   []Hit
}

// NewWebhook starts a receiver that checks signatures with secret.
func NewWebhook(secret string) *Webhook {
	w := &Webhook{secret: []byte(secret)}
	w.srv = httptest.NewServer(http.HandlerFunc(w.serve))
	return w
}

// URL is where the receiver listens.
func (w *Webhook) URL() string { return w.srv.URL + "/hook" }

// Close stops the receiver.
func (w *Webhook) Close() { w.srv.Close() }

// Fail makes the next n requests answer status.
func (w *Webhook) Fail(n, status int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fail, w.status = n, status
}

// Hits returns the requests so far.
func (w *Webhook) Hits() []Hit {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Hit(nil), w.hits...)
}

func (w *Webhook) serve(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	w.mu.Lock()
	defer w.mu.Unlock()
	h := Hit{Body: body, Kind: r.Header.Get(notify.HeaderKind), Delivery: r.Header.Get(notify.HeaderDelivery), Status: http.StatusOK}
	err := notify.Verify(w.secret, r.Header.Get(notify.HeaderTimestamp), r.Header.Get(notify.HeaderSignature), body, time.Now(), 5*time.Minute)
	h.Valid = err == nil
	if err != nil {
		h.SignError = err.Error()
		h.Status = http.StatusUnauthorized
	}
	if w.fail > 0 {
		w.fail--
		h.Status = w.status
	}
	w.hits = append(w.hits, h)
	rw.WriteHeader(h.Status)
}

// Mail is one message the SMTP server got.
type Mail struct {
	From string
	To   []string
	Data string
	User string // who logged in, "" for nobody
	TLS  bool
}

// SMTP is a mail server that refuses mail before STARTTLS and accepts
// one user and password (or none, when the user is "").
type SMTP struct {
	srv  *smtp.Server
	ln   net.Listener
	ca   string
	user string
	pass string

	mu    sync.Mutex
	mails []Mail
}

// NewSMTP starts a server on 127.0.0.1 with a certificate for that
// address; CAPEM is the certificate to trust.
func NewSMTP(user, password string) (*SMTP, error) {
	// httptest's certificate is valid for 127.0.0.1: borrow it.
	h := httptest.NewUnstartedServer(nil)
	h.StartTLS()
	cert := h.TLS.Certificates[0]
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h.Certificate().Raw}))
	h.Close()
	s := &SMTP{ca: ca, user: user, pass: password}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s, c: c}, nil }))
	s.srv.Domain = "localhost"
	s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.ln = ln
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Addr is host:port of the server.
func (s *SMTP) Addr() string { return s.ln.Addr().String() }

// CAPEM is the PEM certificate that signs the server's.
func (s *SMTP) CAPEM() string { return s.ca }

// Close stops the server.
func (s *SMTP) Close() { _ = s.srv.Close() }

// Mails returns the messages so far.
func (s *SMTP) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

type session struct {
	s    *SMTP
	c    *smtp.Conn
	user string
	m    Mail
}

var errNeedTLS = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}

func (x *session) tls() bool { _, ok := x.c.TLSConnectionState(); return ok }

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(string) (sasl.Server, error) {
	if !x.tls() {
		return nil, errNeedTLS
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != x.s.user || pass != x.s.pass {
			return errors.New("invalid credentials")
		}
		x.user = user
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if !x.tls() {
		return errNeedTLS
	}
	if x.s.user != "" && x.user == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	x.m = Mail{From: from, User: x.user, TLS: true}
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.m.To = append(x.m.To, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.m.Data = string(b)
	x.s.mu.Lock()
	x.s.mails = append(x.s.mails, x.m)
	x.s.mu.Unlock()
	return nil
}

func (x *session) Reset()        { x.m = Mail{} }
func (x *session) Logout() error { return nil }
