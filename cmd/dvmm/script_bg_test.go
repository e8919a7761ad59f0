package main

import (
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// Background dvmm processes whose output a script can wait on while they
// run (testscript's own '&' shows it only after 'wait').

type bgProc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// startbg NAME OUT ERR ARGS...: starts dvmm ARGS in the background with
// stdout in file OUT and stderr in file ERR (both in $WORK).
func cmdStartBG(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 4 {
		ts.Fatalf("usage: startbg NAME OUTFILE ERRFILE ARGS...")
	}
	out, err := os.Create(ts.MkAbs(args[1]))
	ts.Check(err)
	errOut, err := os.Create(ts.MkAbs(args[2]))
	ts.Check(err)
	path, err := exec.LookPath("dvmm")
	ts.Check(err)
	cmd := exec.Command(path, args[3:]...)
	cmd.Dir = ts.Getenv("WORK")
	env := append([]string(nil), os.Environ()...)
	for _, k := range []string{"HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "DVMM_DB", "DVMM_TENANT", "DVMM_USER", "NO_COLOR",
		"GORACE", "DVMM_TEST_API", "DVMM_TEST_API_DB", "DVMM_SERVER", "DVMM_TOKEN", "PATH"} {
		env = append(env, k+"="+ts.Getenv(k))
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, errOut
	ts.Check(cmd.Start())
	p := &bgProc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		out.Close()
		errOut.Close()
		close(p.done)
	}()
	ts.Defer(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	procs(ts)[args[0]] = p
}

func procs(ts *testscript.TestScript) map[string]*bgProc {
	m, _ := ts.Value("bg").(map[string]*bgProc)
	if m == nil {
		ts.Fatalf("no background processes in this script")
	}
	return m
}

// waitfile FILE REGEXP TIMEOUT: waits until FILE holds a line matching REGEXP.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: waitfile FILE REGEXP TIMEOUT")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	d, err := time.ParseDuration(args[2])
	ts.Check(err)
	for deadline := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		data, _ := os.ReadFile(ts.MkAbs(args[0]))
		if re.Match(data) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s holds no line matching %s after %s:\n%s", args[0], args[1], d, data)
		}
	}
}

// stopbg NAME SIGNAL CODE: sends SIGNAL (INT, TERM, KILL) to the process,
// waits for it and checks its exit code.
func cmdStopBG(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: stopbg NAME INT|TERM|KILL CODE")
	}
	p, ok := procs(ts)[args[0]]
	if !ok {
		ts.Fatalf("no background process %s", args[0])
	}
	sig, ok := map[string]syscall.Signal{"TERM": syscall.SIGTERM, "INT": syscall.SIGINT, "KILL": syscall.SIGKILL}[args[1]]
	if !ok {
		ts.Fatalf("unknown signal %s", args[1])
	}
	want, err := strconv.Atoi(args[2])
	ts.Check(err)
	ts.Check(p.cmd.Process.Signal(sig))
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		ts.Fatalf("%s did not stop within 60s of SIG%s", args[0], args[1])
	}
	got := 0
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		got = ee.ExitCode()
	} else if p.err != nil {
		ts.Fatalf("%s: %v", args[0], p.err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[0], got, want)
	}
}
