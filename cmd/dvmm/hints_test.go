package main

import (
	"testing"

	"github.com/dvmm/dvmm/internal/app"
)

func TestErrorText(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"Coded", app.Coded(app.KindInvalid, app.CodeNoTenant, "no tenant given"), "no tenant given: use --tenant or set DVMM_TENANT"},
		{"KindOnly", app.Errorf(app.KindNotFound, "nothing"), "nothing"},
		{"Fault", &app.Fault{Code: app.FaultTLS, Message: "vCenter certificate is not trusted (vc)"},
			"vCenter certificate is not trusted (vc): give --ca-file, --thumbprint or --insecure"},
		{"FaultWithoutHint", &app.Fault{Code: app.FaultBusy, Message: "busy"}, "busy"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := errorText(c.err); got != c.want {
				t.Fatalf("%q, want %q", got, c.want)
			}
		})
	}
}

// TestWithHintOnceOnOldMessages: a message recorded before the advice
// moved to the CLI carries it already.
func TestWithHintOnceOnOldMessages(t *testing.T) {
	old := "VMware is not configured for tenant globex: an admin runs 'dvmm vmware set', then 'dvmm request retry'"
	if got := withHint(old, app.FaultVMwareNotConfigured); got != old {
		t.Fatalf("%q", got)
	}
	if got := withHint("VMware is not configured for tenant globex", app.FaultVMwareNotConfigured); got != old {
		t.Fatalf("%q, want %q", got, old)
	}
}
