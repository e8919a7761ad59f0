package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// Script commands for the HTTP API of 'dvmm serve --listen'.

// freeport NAME: sets $NAME to a TCP port on 127.0.0.1 that is free now.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport NAME")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := ln.Addr().(*net.TCPAddr).Port
	ts.Check(ln.Close())
	ts.Setenv(args[0], strconv.Itoa(port))
}

// waithttp HOST:PORT TIMEOUT: waits until the API answers /healthz.
func cmdWaitHTTP(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waithttp HOST:PORT TIMEOUT")
	}
	d, err := time.ParseDuration(args[1])
	ts.Check(err)
	for deadline := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + args[0] + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			ts.Fatalf("no API on %s within %s: %v", args[0], d, err)
		}
	}
}

// apiCall sends one call to $API_URL with the token in $TOKENVAR ("-" for
// none) and returns the status and body.
func apiCall(ts *testscript.TestScript, origin, tokenVar, method, path, body string) (int, []byte) {
	base := ts.Getenv("API_URL")
	if base == "" {
		ts.Fatalf("api: set API_URL first")
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	ts.Check(err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if tokenVar != "-" {
		tok := ts.Getenv(tokenVar)
		if tok == "" {
			ts.Fatalf("api: $%s is empty", tokenVar)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
	}
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	ts.Check(err)
	return resp.StatusCode, data
}

// api [-origin URL] TOKENVAR METHOD PATH [BODY]: calls $API_URL+PATH with
// the token in $TOKENVAR ("-" for no token); stdout gets "HTTP <status>"
// and then the body.
func cmdAPI(ts *testscript.TestScript, neg bool, args []string) {
	origin := ""
	if len(args) > 1 && args[0] == "-origin" {
		origin, args = args[1], args[2:]
	}
	if neg || len(args) < 3 || len(args) > 4 {
		ts.Fatalf("usage: api [-origin URL] TOKENVAR METHOD PATH [BODY]")
	}
	body := ""
	if len(args) == 4 {
		body = args[3]
	}
	status, data := apiCall(ts, origin, args[0], args[1], args[2], body)
	fmt.Fprintf(ts.Stdout(), "HTTP %d\n%s", status, data)
}

// jsonField reads a top-level field of a JSON object: the output of a
// dvmm command, or of api (after its "HTTP nnn" line).
func jsonField(ts *testscript.TestScript, out, field string) string {
	body := out
	if strings.HasPrefix(out, "HTTP ") {
		_, body, _ = strings.Cut(out, "\n")
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		ts.Fatalf("not a JSON object: %v: %s", err, body)
	}
	v, ok := m[field]
	if !ok {
		ts.Fatalf("no field %s in %s", field, body)
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// setjson NAME FIELD: sets $NAME to FIELD of the JSON object on stdout.
func cmdSetJSON(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: setjson NAME FIELD")
	}
	ts.Setenv(args[0], jsonField(ts, ts.ReadFile("stdout"), args[1]))
}

// waitjson TOKENVAR PATH FIELD VALUE TIMEOUT: polls GET PATH until FIELD is VALUE.
func cmdWaitJSON(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 5 {
		ts.Fatalf("usage: waitjson TOKENVAR PATH FIELD VALUE TIMEOUT")
	}
	d, err := time.ParseDuration(args[4])
	ts.Check(err)
	got := ""
	for deadline := time.Now().Add(d); ; time.Sleep(100 * time.Millisecond) {
		status, data := apiCall(ts, "", args[0], "GET", args[1], "")
		if status == http.StatusOK {
			if got = jsonField(ts, "HTTP 200\n"+string(data), args[2]); got == args[3] {
				return
			}
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s of %s is %q after %s, want %q", args[2], args[1], got, d, args[3])
		}
	}
}

// hung NAME: starts a listener that accepts connections and never
// answers (a vCenter whose service hangs) and exports its port as NAME.
func cmdHung(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: hung NAME")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	ts.Defer(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	ts.Setenv(args[0], strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
}
