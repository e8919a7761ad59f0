package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/auth"
)

// load runs clients goroutines sending do() back to back for d and reports
// requests/s and the p50/p99 latency of the calls that answered want.
func load(b *testing.B, clients int, d time.Duration, want int, do func(i int) (*http.Response, error)) {
	var (
		mu   sync.Mutex
		lats []time.Duration
		bad  int
		wg   sync.WaitGroup
	)
	deadline := time.Now().Add(d)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			var mine []time.Duration
			failed := 0
			for i := 0; time.Now().Before(deadline); i++ {
				start := time.Now()
				resp, err := do(c*1_000_000 + i)
				if err != nil {
					failed++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					failed++
					continue
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lats = append(lats, mine...)
			bad += failed
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	if len(lats) == 0 {
		b.Fatalf("no call answered %d (%d failed)", want, bad)
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	b.ReportMetric(float64(len(lats))/d.Seconds(), "req/s")
	b.ReportMetric(float64(lats[len(lats)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lats[len(lats)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(bad), "failed")
}

// loadDuration is 30 s by default; DVMM_BENCH_SECONDS shortens it.
func loadDuration() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("DVMM_BENCH_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 30 * time.Second
}

// BenchmarkAPI: 32 concurrent clients for 30 s each, over real HTTP on
// loopback and a real SQLite file: GET /api/v1/requests/{id}, then
// POST /api/v1/requests (create).
func BenchmarkAPI(b *testing.B) {
	e := newEnv(b)
	body, _ := json.Marshal(createBody("bench-0"))
	r := e.call("bob", "POST", "/api/v1/requests", json.RawMessage(body))
	var v app.RequestView
	if err := json.Unmarshal(r.body, &v); err != nil || r.status != 201 {
		b.Fatalf("create: %d %s", r.status, r.body)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	token := e.tokens["bob"]
	d := loadDuration()
	b.Run("show", func(b *testing.B) {
		load(b, 32, d, 200, func(int) (*http.Response, error) {
			req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/requests/"+v.ID, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			return client.Do(req)
		})
	})
	b.Run("create", func(b *testing.B) {
		load(b, 32, d, 201, func(i int) (*http.Response, error) {
			data, _ := json.Marshal(createBody(fmt.Sprintf("vm-%d", i)))
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/requests", bytes.NewReader(data))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			return client.Do(req)
		})
	})
}

// BenchmarkLogin compares the answer time of a wrong password for a real
// user with that of an unknown user, with the real argon2id parameters.
func BenchmarkLogin(b *testing.B) {
	e := newEnv(b)
	e.app.PasswordParams = auth.DefaultParams
	// An account hashed with the real parameters, as every real one is.
	if _, err := e.app.CreateUser(e.ctx, app.Actor{User: "root"}, "dave", "password-of-dave", false); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct{ name, user string }{{"wrong-password", "dave"}, {"unknown-user", "nobody-here"}} {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := e.app.Login(e.ctx, tc.user, "not the password"); app.ErrorKind(err) != app.KindUnauthenticated {
					b.Fatalf("login = %v", err)
				}
			}
		})
	}
}
