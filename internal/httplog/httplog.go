// Package httplog is what dvmm's two HTTP edges (the API and the web page)
// share about a call: the client's address, and one access-log line with
// the actor, route, status and duration. It logs the matched route
// pattern, never a header, a cookie or a query, so no token can reach it.
package httplog

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ClientAddr is the peer's IP address. Headers such as X-Forwarded-For are
// not trusted: anyone can send them.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// recorder remembers the status a handler wrote and who it acted for.
type recorder struct {
	http.ResponseWriter
	status int
	actor  string
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Flush lets streamed answers (long polls, server-sent events) flush.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

type recorderKey struct{}

// SetActor names who the call acted for, for its access-log line.
func SetActor(r *http.Request, user string) {
	if rec, ok := r.Context().Value(recorderKey{}).(*recorder); ok {
		rec.actor = user
	}
}

// AccessLog logs one line, msg, per call that quiet does not silence.
func AccessLog(log *slog.Logger, msg string, quiet func(*http.Request) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		// The mux writes the matched pattern into the request it is given.
		inner := r.WithContext(context.WithValue(r.Context(), recorderKey{}, rec))
		next.ServeHTTP(rec, inner)
		if quiet != nil && quiet(r) {
			return
		}
		route := inner.Pattern
		if route == "" {
			route = r.Method + " (no route)"
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		log.Info(msg, slog.String("actor", rec.actor), slog.String("route", route), slog.Int("status", status),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000), slog.String("source", ClientAddr(r)))
	})
}
