package app_test

import (
	"strings"
	"testing"

	"github.com/dvmm/dvmm/internal/app"
)

// A vCenter URL is refused when its host or port is wrong, and the
// refusal never echoes a user or password written into the URL.
func TestVMwareURLValidation(t *testing.T) {
	ok := app.VMwareSettings{URL: "https://vc.example/sdk", Username: "u", Datacenter: "DC0", Cluster: "C0", Datastore: "DS",
		Network: "VM Network", Template: "tpl", Folder: "dvmm", HasPassword: true}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid settings refused: %v", err)
	}
	for _, u := range []string{"https://vc.example:443/sdk", "https://vc.example:65535/sdk", "https://10.0.0.5/sdk", "https://[::1]:8989/sdk"} {
		s := ok
		s.URL = u
		if err := s.Validate(); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	const secret = "hunter2-s3cret"
	for _, u := range []string{
		"https://vc.example:0/sdk", "https://vc.example:65536/sdk", "https://vc.example:99999/sdk", "https://:443/sdk", "https:///sdk",
		"https://admin:" + secret + "@vc.example/sdk", "https://admin:" + secret + "@vc.example:99999/sdk", "https://admin:" + secret + "@vc example/sdk",
		"https://admin:" + secret + "@/sdk", "http://admin:" + secret + "@vc.example/sdk", "admin:" + secret + "@vc.example", "https://" + secret + "@vc.example/sdk",
		"https://admin:" + secret + "<>@vc.example/sdk", "https://a@b:" + secret + "@vc.example/sdk",
	} {
		s := ok
		s.URL = u
		err := s.Validate()
		if app.ErrorKind(err) != app.KindInvalid {
			t.Errorf("%s: %v, want invalid", u, err)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the refusal echoes the password: %s", u, err)
		}
	}
}
