package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzConfig: whatever bytes the config file holds, dvmm never panics; it
// either runs (exit 0, nothing on stderr) or refuses the file as invalid
// input (exit 2) with one line on stderr and nothing on stdout.
func FuzzConfig(f *testing.F) {
	for _, seed := range []string{
		"", "tenant: acme\nuser: alice\n", "tenant: acme\nuser: alice\ndb: /tmp/x.db\noutput: json\nno-color: true\nsecret-key: /tmp/k\n",
		"output: table\n", "output: xml\n", "tenant: [acme\n", "tenant: acme\ncolour: blue\n", "no-color: maybe\n",
		"tenant: [a, b]\n", "tenant: {a: b}\n", "tenant: 7\n", "no-color: 1\n", "db: ~\n", "---\n---\n", "- a\n- b\n",
		"a: &x [*x]\n", "a: &a {b: *a}\n", "x: &a [1]\ny: [*a, *a, *a]\n", "\ttenant: acme\n", "\xef\xbb\xbftenant: acme\n",
		"tenant: \"\x00\"\n", "tenant: acme\x00\n", "{\"tenant\": \"acme\"}", "tenant: !!binary aGVsbG8=\n",
		"no-color: 99999999999999999999999999\n", "TENANT: acme\n", "tenant.name: acme\n", "? [a]\n: b\n",
		"tenant: |\n  multi\n  line\n", "%YAML 1.1\n---\ntenant: acme\n", "tenant: !!float 1e400\n", "\xff\xfe\xfd",
		strings.Repeat("[", 1000), strings.Repeat("a: ", 200) + "b\n",
	} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	f.Setenv("HOME", dir)
	f.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	f.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	f.Setenv("NO_COLOR", "1")
	for _, k := range []string{"DVMM_DB", "DVMM_TENANT", "DVMM_USER", "DVMM_OUTPUT", "DVMM_NO_COLOR", "DVMM_SECRET_KEY", "DVMM_CONFIG"} {
		f.Setenv(k, "")
	}
	f.Fuzz(func(t *testing.T, config []byte) {
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, config, 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		code := Main([]string{"--config", path, "version"}, strings.NewReader(""), &out, &errOut)
		switch code {
		case ExitOK:
			if errOut.Len() != 0 || out.Len() == 0 {
				t.Fatalf("exit 0 with stdout %q and stderr %q", out.String(), errOut.String())
			}
		case ExitInvalid:
			e := errOut.String()
			if strings.Count(e, "\n") != 1 || !strings.HasSuffix(e, "\n") || !strings.HasPrefix(e, "dvmm: ") {
				t.Fatalf("refusal is not one line on stderr: %q", e)
			}
			if out.Len() != 0 {
				t.Fatalf("refusal printed on stdout: %q", out.String())
			}
		default:
			t.Fatalf("exit %d, want 0 or 2; stderr %q", code, errOut.String())
		}
	})
}
