package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/vsphere"
	"github.com/dvmm/dvmm/internal/vsphere/simproc"
)

// BenchmarkPages loads each page with 16 people signed in at once, each
// on their own session, and reports the page's weight (bytes of HTML,
// assets aside: they are cached for a year) and the median time to the
// whole answer. The tenant holds 40 requests, one of them a READY VM in
// the simulator, so the VM page asks vCenter each time.
//
//	go test -run '^$' -bench Pages ./internal/web
func BenchmarkPages(b *testing.B) {
	e := newEnv(b)
	sim, err := simproc.Start(e.ctx, vsphere.SimOptions{})
	noErr(b, err)
	b.Cleanup(sim.Close)
	s := sim.Settings("dvmm")
	_, err = e.app.SetVMware(e.ctx, app.Actor{User: "alice", Tenant: "acme"}, s, sim.Password())
	noErr(b, err)
	bob := app.Actor{User: "bob", Tenant: "acme"}
	var ids []string
	for i := range 40 {
		v, err := e.app.CreateRequest(e.ctx, bob, app.NewRequestInput{Name: fmt.Sprintf("web-%02d", i), Size: "S",
			Project: "shop", Justification: "load tests for the shop"})
		noErr(b, err)
		ids = append(ids, v.ID)
	}
	_, err = e.app.Approve(e.ctx, app.Actor{User: "alice", Tenant: "acme"}, ids[0], 1)
	noErr(b, err)
	_, err = e.app.Drain(e.ctx, "bench", 1, time.Minute)
	noErr(b, err)

	const people = 16
	clients := make([]*http.Client, people)
	tr := &http.Transport{MaxIdleConnsPerHost: people * 2}
	b.Cleanup(tr.CloseIdleConnections)
	for i := range people {
		// Half are requesters (bob's sessions), half admins (alice's).
		user := "bob"
		if i%2 == 1 {
			user = "alice"
		}
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		br := &browser{e: e, c: c}
		if p := br.post("/signin", url.Values{"user": {user}, "password": {"password-of-" + user}}); p.status != http.StatusSeeOther {
			b.Fatalf("sign-in: %d", p.status)
		}
		clients[i] = c
	}

	pages := []struct {
		name, path string
		admin      bool // only alice's sessions may open it
	}{
		{"signin", "/signin", false},
		{"my-requests", "/requests", false},
		{"new-request", "/requests/new", false},
		{"request", "/requests/" + ids[0], false},
		{"approvals", "/approvals", true},
		{"vms", "/vms", false},
		{"vm-live", "/vms/" + ids[0], false},
		{"settings", "/settings", true},
	}
	for _, pg := range pages {
		b.Run(pg.name, func(b *testing.B) {
			var (
				mu    sync.Mutex
				times []time.Duration
				size  atomic.Int64
				next  atomic.Int64
			)
			who := clients[0] // bob: the requester whose requests fill the lists
			if pg.admin {
				who = clients[1]
			}
			htmlBytes := pageBytes(b, who, e.srv.URL+pg.path, "identity")
			// RunParallel starts parallelism × GOMAXPROCS goroutines: at least 16.
			procs := runtime.GOMAXPROCS(0)
			b.SetParallelism((people + procs - 1) / procs)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				k := int(next.Add(1) - 1)
				if pg.admin {
					k = 2*k + 1
				}
				c := clients[k%people]
				var mine []time.Duration
				for pb.Next() {
					start := time.Now()
					req, _ := http.NewRequest("GET", e.srv.URL+pg.path, nil)
					// Set by hand, so the client leaves the answer compressed
					// and the count is of bytes on the wire, as a browser gets them.
					req.Header.Set("Accept-Encoding", "gzip")
					resp, err := c.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					n, _ := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					mine = append(mine, time.Since(start))
					if resp.StatusCode != http.StatusOK {
						b.Errorf("%s: %d", pg.path, resp.StatusCode)
						return
					}
					size.Store(n)
				}
				mu.Lock()
				times = append(times, mine...)
				mu.Unlock()
			})
			b.StopTimer()
			slices.Sort(times)
			if len(times) > 0 {
				b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
			}
			b.ReportMetric(float64(htmlBytes), "html-bytes")
			b.ReportMetric(float64(size.Load()), "gzip-bytes")
		})
	}
}

// pageBytes is the size of a page as served with the given encoding.
func pageBytes(b *testing.B, c *http.Client, u, encoding string) int64 {
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept-Encoding", encoding)
	resp, err := c.Do(req)
	noErr(b, err)
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	noErr(b, err)
	return n
}
