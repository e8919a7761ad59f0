package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Live pages: a page region with data-live="/live/..." is kept current by
// server-sent events, each carrying the region's new HTML, rendered by the
// same template as the page. The server reads the same use case again at
// each Poll, or at once when the store announces a change (PostgreSQL's
// notifications, made by any process), and sends only when what it shows
// changed. On SQLite the workers may run in another process with no
// signal to wait on; a read of the read models costs well under a
// millisecond.

// liveMaxAge ends a live stream after a while; the browser's EventSource
// opens a new one at once, so a long-open page does not pin a connection
// forever through a proxy that would cut it anyway.
const liveMaxAge = 10 * time.Minute

// stream sends the fragment render returns whenever it changes, until
// the client leaves, render says the region is final, or liveMaxAge.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, render func() (html string, final bool, err error)) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()
	tick := time.NewTicker(s.Poll)
	defer tick.Stop()
	stop := time.NewTimer(liveMaxAge)
	defer stop.Stop()
	last := ""
	for {
		wake := s.App.Changed()
		html, final, err := render()
		if err != nil {
			// The region stays as it was; the page says why it stopped.
			writeEvent(w, "gone", messageOf(err))
			_ = rc.Flush()
			return
		}
		if html != last {
			writeEvent(w, "update", html)
			last = html
			if err := rc.Flush(); err != nil {
				return
			}
		}
		if final {
			writeEvent(w, "done", "")
			_ = rc.Flush()
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-wake:
		case <-stop.C:
			return
		case <-tick.C:
		}
	}
}

// writeEvent writes one server-sent event; each line of data gets its own
// "data:" field, as the format requires.
func writeEvent(w http.ResponseWriter, name, data string) {
	var b strings.Builder
	fmt.Fprintf(&b, "event: %s\n", name)
	for _, line := range strings.Split(strings.ReplaceAll(data, "\r", ""), "\n") {
		b.WriteString("data: ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	_, _ = w.Write([]byte(b.String()))
}

// liveRequest keeps a request page's status, VM and timeline current
// until the request reaches a final status.
func (s *Server) liveRequest(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("id")
	if _, err := s.loadRequest(r, sess, id); err != nil {
		s.errorPage(w, r, sess, err)
		return
	}
	s.stream(w, r, func() (string, bool, error) {
		d, err := s.loadRequest(r, sess, id)
		if err != nil {
			return "", false, err
		}
		html, err := s.renderPart("request", "live", d)
		return html, d.R.Status.Terminal(), err
	})
}

// liveList keeps the rows of "My requests" current while any of them is
// still moving.
func (s *Server) liveList(w http.ResponseWriter, r *http.Request, sess *session) {
	if _, err := s.listMine(r, sess); err != nil {
		s.errorPage(w, r, sess, err)
		return
	}
	s.stream(w, r, func() (string, bool, error) {
		d, err := s.listMine(r, sess)
		if err != nil {
			return "", false, err
		}
		html, err := s.renderPart("requests", "rows", d)
		final := true
		for _, v := range d.Requests {
			if !v.Status.Terminal() {
				final = false
			}
		}
		return html, final, err
	})
}
