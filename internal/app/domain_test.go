package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
)

// history turns payloads into a stream's events, numbered from 1.
func history(streamType, id string, payloads ...app.Payload) []app.Event {
	events := make([]app.Event, len(payloads))
	for i, p := range payloads {
		events[i] = app.Event{TenantID: "acme", StreamType: streamType, StreamID: id, Version: i + 1, Type: p.EventType(), Data: p}
	}
	return events
}

func acme(extra ...app.Payload) *app.Tenant {
	ps := append([]app.Payload{app.TenantCreated{Name: "acme", Admin: "alice"},
		app.TenantMemberAdded{User: "bob", Role: app.RoleUser},
		app.TenantMemberAdded{User: "carol", Role: app.RoleAdmin}}, extra...)
	return app.NewTenant("acme", history(app.StreamTenant, "acme", ps...))
}

var created = app.RequestCreated{Name: "web-01", Size: "M", CPUs: 4, MemoryGB: 8, DiskGB: 100, Project: "shop",
	Justification: "load tests for the shop", Requester: "bob"}

func request(ps ...app.Payload) *app.Request {
	return app.NewRequest("r1", "acme", history(app.StreamRequest, "r1", ps...))
}

func TestValidateName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"web-01", true}, {"abc", true}, {strings.Repeat("a", 63), true},
		{"", false}, {"ab", false}, {strings.Repeat("a", 64), false}, {"Web-01", false},
		{"-web", false}, {"web-", false}, {"we--b", false}, {"web 01", false}, {"web_01", false},
		{"wéb-01", false}, {"web;rm", false}, {"web\x0001", false}, {"ԝeb-01", false},
	} {
		err := app.ValidateName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && app.ErrorKind(err) != app.KindInvalid {
			t.Errorf("ValidateName(%q) kind = %s", tc.name, app.ErrorKind(err))
		}
	}
}

func TestRequestCreate(t *testing.T) {
	good := app.NewRequestInput{Name: "web-01", Size: "m", Project: "shop", Justification: "load tests for the shop"}
	for _, tc := range []struct {
		name string
		edit func(*app.NewRequestInput)
		kind app.Kind
	}{
		{"OK", func(*app.NewRequestInput) {}, ""},
		{"DefaultSize", func(in *app.NewRequestInput) { in.Size = "" }, ""},
		{"ErrName", func(in *app.NewRequestInput) { in.Name = "Web_01" }, app.KindInvalid},
		{"ErrSize", func(in *app.NewRequestInput) { in.Size = "XXL" }, app.KindInvalid},
		{"ErrProject", func(in *app.NewRequestInput) { in.Project = "" }, app.KindInvalid},
		{"ErrShortJustification", func(in *app.NewRequestInput) { in.Justification = "because   " }, app.KindInvalid},
		{"ErrLongJustification", func(in *app.NewRequestInput) { in.Justification = strings.Repeat("x", 2001) }, app.KindInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := good
			tc.edit(&in)
			ps, err := request().Create("bob", in)
			if app.ErrorKind(err) != tc.kind {
				t.Fatalf("err = %v (kind %q), want kind %q", err, app.ErrorKind(err), tc.kind)
			}
			if err != nil {
				return
			}
			c := ps[0].(app.RequestCreated)
			if c.Size != "M" || c.CPUs != 4 || c.MemoryGB != 8 || c.DiskGB != 100 || c.Requester != "bob" {
				t.Fatalf("created = %+v", c)
			}
		})
	}
}

func TestRequestDecisions(t *testing.T) {
	approved := app.RequestApproved{By: "alice", SeenVersion: 1}
	for _, tc := range []struct {
		name    string
		history []app.Payload
		do      func(*app.Request) ([]app.Payload, error)
		kind    app.Kind
		want    string
	}{
		{"ApproveOK", []app.Payload{created}, func(r *app.Request) ([]app.Payload, error) { return r.Approve(acme(), "alice", 1) }, "", app.EvRequestApproved},
		{"ApproveWithoutVersion", []app.Payload{created}, func(r *app.Request) ([]app.Payload, error) { return r.Approve(acme(), "alice", 0) }, "", app.EvRequestApproved},
		{"ErrApproveStale", []app.Payload{created}, func(r *app.Request) ([]app.Payload, error) { return r.Approve(acme(), "alice", 2) }, app.KindConflict, ""},
		{"ErrApproveTwice", []app.Payload{created, approved}, func(r *app.Request) ([]app.Payload, error) { return r.Approve(acme(), "carol", 0) }, app.KindConflict, ""},
		{"ErrApproveByUser", []app.Payload{created}, func(r *app.Request) ([]app.Payload, error) { return r.Approve(acme(), "bob", 1) }, app.KindForbidden, ""},
		{"ErrApproveByStranger", []app.Payload{created}, func(r *app.Request) ([]app.Payload, error) { return r.Approve(acme(), "mallory", 1) }, app.KindForbidden, ""},
		{"ErrApproveOwn", []app.Payload{func() app.Payload { c := created; c.Requester = "alice"; return c }()},
			func(r *app.Request) ([]app.Payload, error) { return r.Approve(acme(), "alice", 1) }, app.KindForbidden, ""},
		{"RejectOK", []app.Payload{created}, func(r *app.Request) ([]app.Payload, error) {
			return r.Reject(acme(), "alice", "not in this quarter's budget", 1)
		}, "", app.EvRequestRejected},
		{"ErrRejectShortReason", []app.Payload{created}, func(r *app.Request) ([]app.Payload, error) { return r.Reject(acme(), "alice", "no", 1) }, app.KindInvalid, ""},
		{"ErrRejectLongReason", []app.Payload{created}, func(r *app.Request) ([]app.Payload, error) {
			return r.Reject(acme(), "alice", strings.Repeat("x", 501), 1)
		}, app.KindInvalid, ""},
		{"CancelByRequester", []app.Payload{created}, func(r *app.Request) ([]app.Payload, error) { return r.Cancel(acme(), "bob", noVM) }, "", app.EvRequestCancelled},
		{"CancelByAdmin", []app.Payload{created}, func(r *app.Request) ([]app.Payload, error) { return r.Cancel(acme(), "alice", noVM) }, "", app.EvRequestCancelled},
		{"CancelFailedByRequester", []app.Payload{created, approved}, func(r *app.Request) ([]app.Payload, error) { return r.Cancel(acme(), "bob", failedVM) }, "", app.EvRequestCancelled},
		{"ErrCancelProvisioning", []app.Payload{created, approved}, func(r *app.Request) ([]app.Payload, error) { return r.Cancel(acme(), "alice", runningVM) }, app.KindConflict, ""},
		{"GiveUpByAdmin", []app.Payload{created, approved}, func(r *app.Request) ([]app.Payload, error) {
			ps, _, err := r.GiveUp(acme(), "alice", "vCenter of the lab is gone", runningVM)
			return ps, err
		}, "", app.EvRequestCancelled},
		{"ErrGiveUpByRequester", []app.Payload{created, approved}, func(r *app.Request) ([]app.Payload, error) {
			ps, _, err := r.GiveUp(acme(), "bob", "vCenter of the lab is gone", runningVM)
			return ps, err
		}, app.KindForbidden, ""},
		{"ErrGiveUpPending", []app.Payload{created}, func(r *app.Request) ([]app.Payload, error) {
			ps, _, err := r.GiveUp(acme(), "alice", "vCenter of the lab is gone", noVM)
			return ps, err
		}, app.KindConflict, ""},
		{"ErrGiveUpFailed", []app.Payload{created, approved}, func(r *app.Request) ([]app.Payload, error) {
			ps, _, err := r.GiveUp(acme(), "alice", "vCenter of the lab is gone", failedVM)
			return ps, err
		}, app.KindConflict, ""},
		{"ErrGiveUpShortReason", []app.Payload{created, approved}, func(r *app.Request) ([]app.Payload, error) {
			ps, _, err := r.GiveUp(acme(), "alice", "gone", runningVM)
			return ps, err
		}, app.KindInvalid, ""},
		{"ErrCancelAfterApprove", []app.Payload{created, approved}, func(r *app.Request) ([]app.Payload, error) { return r.Cancel(acme(), "bob", runningVM) }, app.KindConflict, ""},
		{"ErrCancelByOtherUser", []app.Payload{created}, func(r *app.Request) ([]app.Payload, error) {
			return r.Cancel(acme(app.TenantMemberAdded{User: "dave", Role: app.RoleUser}), "dave", noVM)
		}, app.KindForbidden, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := tc.do(request(tc.history...))
			if app.ErrorKind(err) != tc.kind {
				t.Fatalf("err = %v (kind %q), want kind %q", err, app.ErrorKind(err), tc.kind)
			}
			if tc.want != "" && (len(ps) != 1 || ps[0].EventType() != tc.want) {
				t.Fatalf("events = %v, want one %s", ps, tc.want)
			}
		})
	}
}

var (
	noVM      = app.NewVM("r1", nil)
	runningVM = app.NewVM("r1", history(app.StreamVM, "vm-r1", app.VMProvisioningStarted{RequestID: "r1", Attempt: 1}))
	failedVM  = app.NewVM("r1", history(app.StreamVM, "vm-r1", app.VMProvisioningStarted{RequestID: "r1", Attempt: 1},
		app.VMProvisioningFailed{Code: app.FaultTemplateNotFound, Attempt: 1}))
)

func TestTenant(t *testing.T) {
	if _, err := app.NewTenant("acme", nil).Create("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := acme().Create("alice"); app.ErrorKind(err) != app.KindConflict {
		t.Fatalf("second create: %v", err)
	}
	if _, err := app.NewTenant("Acme!", nil).Create("alice"); app.ErrorKind(err) != app.KindInvalid {
		t.Fatalf("bad name: %v", err)
	}
	if _, err := acme().AddMember("bob", "dave", app.RoleUser); app.ErrorKind(err) != app.KindForbidden {
		t.Fatalf("user adding member: %v", err)
	}
	if _, err := acme().AddMember("alice", "bob", app.RoleUser); app.ErrorKind(err) != app.KindConflict {
		t.Fatalf("re-adding member: %v", err)
	}
	if _, err := acme().AddMember("alice", "bob", app.RoleAdmin); app.ErrorCode(err) != app.CodeAlreadyMember {
		t.Fatalf("adding a member again with another role: %v", err)
	}
	ps, err := acme().SetRole("alice", "bob", app.RoleAdmin)
	if err != nil || ps[0] != (app.TenantMemberRoleChanged{User: "bob", From: app.RoleUser, To: app.RoleAdmin}) {
		t.Fatalf("promote: %v %v", ps, err)
	}
	for _, tc := range []struct {
		name string
		do   func(*app.Tenant) ([]app.Payload, error)
		code string
		kind app.Kind
	}{
		{"demote the last admin", func(t *app.Tenant) ([]app.Payload, error) { return t.SetRole("alice", "alice", app.RoleUser) }, app.CodeLastAdmin, app.KindConflict},
		{"remove the last admin", func(t *app.Tenant) ([]app.Payload, error) { return t.RemoveMember("alice", "alice") }, app.CodeLastAdmin, app.KindConflict},
		{"same role", func(t *app.Tenant) ([]app.Payload, error) { return t.SetRole("alice", "bob", app.RoleUser) }, "", app.KindConflict},
		{"not a member", func(t *app.Tenant) ([]app.Payload, error) { return t.SetRole("alice", "zed", app.RoleAdmin) }, "", app.KindNotFound},
		{"remove a stranger", func(t *app.Tenant) ([]app.Payload, error) { return t.RemoveMember("alice", "zed") }, "", app.KindNotFound},
		{"user changes roles", func(t *app.Tenant) ([]app.Payload, error) { return t.SetRole("bob", "bob", app.RoleAdmin) }, "", app.KindForbidden},
		{"user removes", func(t *app.Tenant) ([]app.Payload, error) { return t.RemoveMember("bob", "alice") }, "", app.KindForbidden},
	} {
		one := app.NewTenant("acme", history(app.StreamTenant, "acme", app.TenantCreated{Name: "acme", Admin: "alice"},
			app.TenantMemberAdded{User: "bob", Role: app.RoleUser}))
		_, err := tc.do(one)
		if app.ErrorKind(err) != tc.kind || tc.code != "" && app.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s %s", tc.name, err, tc.kind, tc.code)
		}
	}
	// With a second admin, the first may step down or leave.
	two := acme() // alice and carol are admins
	if _, err := two.SetRole("carol", "alice", app.RoleUser); err != nil {
		t.Fatalf("demote one of two admins: %v", err)
	}
	if _, err := two.RemoveMember("carol", "alice"); err != nil {
		t.Fatalf("remove one of two admins: %v", err)
	}
	if _, err := app.ParseRole("root"); app.ErrorKind(err) != app.KindInvalid {
		t.Fatalf("ParseRole: %v", err)
	}
}

func TestVMwareSettingsValidate(t *testing.T) {
	good := app.VMwareSettings{URL: "https://vc.example/sdk", Username: "svc", Datacenter: "DC0", Cluster: "C0",
		Datastore: "DS", Network: "VM Network", Template: "tpl", Folder: "dvmm", HasPassword: true}
	for _, tc := range []struct {
		name string
		edit func(*app.VMwareSettings)
		ok   bool
	}{
		{"OK", func(*app.VMwareSettings) {}, true},
		{"ErrHTTP", func(s *app.VMwareSettings) { s.URL = "http://vc.example/sdk" }, false},
		{"ErrNoHost", func(s *app.VMwareSettings) { s.URL = "https:///sdk" }, false},
		{"ErrSpace", func(s *app.VMwareSettings) { s.URL = "https://vc example/sdk" }, false},
		{"ErrUserInURL", func(s *app.VMwareSettings) { s.URL = "https://u:p@vc.example/sdk" }, false},
		{"ErrNoPool", func(s *app.VMwareSettings) { s.Cluster = "" }, false},
		{"ErrTwoTLS", func(s *app.VMwareSettings) { s.Insecure, s.Thumbprint = true, "AA" }, false},
		{"ErrNoPassword", func(s *app.VMwareSettings) { s.HasPassword = false }, false},
		{"ErrNoTemplate", func(s *app.VMwareSettings) { s.Template = " " }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			tc.edit(&s)
			if err := s.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestVMStartIsIdempotent(t *testing.T) {
	spec := app.VMSpec{Name: "web-01", CPUs: 4, MemoryGB: 8}
	vm := app.NewVM("r1", nil)
	first := vm.Start(spec, 1)
	if len(first) != 1 {
		t.Fatalf("first start = %v", first)
	}
	started := app.NewVM("r1", history(app.StreamVM, "vm-r1", first...))
	if again := started.Start(spec, 1); len(again) != 0 {
		t.Fatalf("second start of attempt 1 = %v, want nothing", again)
	}
	if next := started.Start(spec, 2); len(next) != 0 {
		t.Fatalf("attempt 2 while provisioning = %v, want nothing", next)
	}
	failed := app.NewVM("r1", history(app.StreamVM, "vm-r1", first[0], app.VMProvisioningFailed{Code: "X", Attempt: 1}))
	if next := failed.Start(spec, 2); len(next) != 1 {
		t.Fatalf("attempt 2 after failure = %v", next)
	}
}

func TestRetryPolicyDelay(t *testing.T) {
	p := app.DefaultRetryPolicy()
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 120 * time.Second, 120 * time.Second}
	for i, w := range want {
		if got := p.Delay(i + 2); got != w {
			t.Errorf("Delay(%d) = %s, want %s", i+2, got, w)
		}
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	samples := map[string]app.Payload{}
	for _, p := range []app.Payload{
		app.TenantCreated{Name: "acme", Admin: "alice"}, app.TenantMemberAdded{User: "bob", Role: app.RoleUser},
		app.VMwareConfigured{Settings: app.VMwareSettings{URL: "https://vc/sdk", HasPassword: true}}, created,
		app.RequestApproved{By: "alice", SeenVersion: 1}, app.RequestRejected{By: "alice", Reason: "no budget this year"},
		app.RequestCancelled{By: "bob"}, app.RequestRetryRequested{By: "alice", Attempt: 2},
		app.VMProvisioningStarted{RequestID: "r1", Spec: app.VMSpec{Name: "web-01"}, Attempt: 1},
		app.VMProvisioningProgressed{Stage: app.StageCloning, Attempt: 1},
		app.VMProvisioned{VCenterName: "web-01", MoRef: "vm-42", IP: "10.0.0.5", Attempt: 1},
		app.VMProvisioningFailed{Code: app.FaultTemplateNotFound, Message: "template missing", Attempt: 1},
		app.VMRetryScheduled{Attempt: 2, MaxAttempts: 5, DelaySeconds: 10, Reason: "timeout"},
		app.VMWaitingForVCenter{Reason: "unreachable"}, app.VMRemoved{MoRef: "vm-42", Reason: "cleanup"},
		app.UserCreated{Name: "alice", PlatformAdmin: true}, app.UserPasswordSet{}, app.UserDisabled{},
		app.UserPlatformAdminGranted{}, app.UserTokenCreated{ID: "abcdefghij", Name: "laptop", ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		app.UserTokenRevoked{ID: "abcdefghij"},
		app.VMDriftObserved{Change: app.DriftResized, From: "4 vCPU, 8 GB", To: "8 vCPU, 16 GB", CPUs: 8, MemoryMB: 16384},
		app.VMWaitingForSlot{VCenter: "vc:443", Limit: 4},
		app.TenantIPPoolAdded{Pool: app.IPPool{Network: "n", First: "10.0.5.10", Last: "10.0.5.20", Prefix: 24, Gateway: "10.0.5.1", DNS: []string{"10.0.5.2"}}},
		app.TenantIPPoolRemoved{Network: "n"},
		app.TenantAddressLeased{RequestID: "r1", Network: "n", Address: "10.0.5.10"},
		app.TenantAddressReleased{RequestID: "r1", Network: "n", Address: "10.0.5.10", Reason: "provisioning failed"},
		app.TenantMemberRoleChanged{User: "bob", From: app.RoleUser, To: app.RoleAdmin},
		app.TenantMemberRemoved{User: "bob", Role: app.RoleAdmin},
		app.VMCleanupFailed{Code: "X", Message: "permission denied"},
		app.TenantQuotaSet{Project: "shop", Limits: app.Amount{VMs: 10, CPUs: 32, MemoryGB: 64, DiskGB: 1000}},
		app.RequestDecommissionRequested{By: "bob", Reason: "the load tests are over"},
		app.RequestDecommissionApproved{By: "alice"},
		app.VMPowerRequested{By: "bob", Action: app.PowerOff},
		app.VMPowerChanged{Action: app.PowerOff, State: "poweredOff"},
		app.VMPowerFailed{Action: app.PowerOn, Code: app.FaultBusy, Message: "vCenter busy"},
		app.VMResizeRequested{By: "bob", Size: "L", CPUs: 8, MemoryGB: 16, DiskGB: 200, AllowRestart: true},
		app.VMResizeApproved{By: "alice"},
		app.VMResized{Size: "L", CPUs: 8, MemoryGB: 16, DiskGB: 200, Restarted: true},
		app.ProjectCreated{Name: "shop", Upgrade: true},
		app.ProjectArchived{By: "alice"},
		app.ProjectRestored{By: "alice"},
		app.ProjectMemberAdded{User: "bob"},
		app.ProjectMemberRemoved{User: "bob"},
		app.TenantProjectAccessSet{MembersOnly: true},
		app.VMResizeFailed{Code: app.FaultRestartNeeded, Message: "the VM is on"},
		app.NotifyChannelAdded{Channel: app.NotifyChannel{ID: "ch1", Kind: app.ChannelEmail, Events: []string{app.NotifyApprovalNeeded}, SMTP: "mail.example:587", From: "dvmm@example.com", To: []string{"{user}@example.com"}, Username: "dvmm", HasSecret: true}},
		app.NotifyChannelRemoved{ID: "ch1"},
		app.VMDecommissioned{MoRef: "vm-1", AlreadyGone: true},
		app.TenantLeasePolicySet{Policy: app.LeasePolicy{DefaultDays: 30, MaxDays: 90, GraceDays: 7}},
		app.VMLeaseSet{Days: 30, ExpiresAt: time.Date(2031, 3, 1, 9, 0, 0, 0, time.UTC), MaxUntil: time.Date(2031, 3, 1, 9, 0, 0, 0, time.UTC).Add(60 * app.Day), GraceDays: 7},
		app.VMLeaseWarning{Days: 7, ExpiresAt: time.Date(2031, 3, 1, 9, 0, 0, 0, time.UTC)},
		app.VMLeaseExtensionRequested{By: "bob", Days: 90},
		app.VMLeaseExtensionRejected{By: "alice", Reason: "ninety days more is too long"},
		app.VMLeaseExtended{By: "bob", Days: 14, ExpiresAt: time.Date(2031, 3, 1, 9, 0, 0, 0, time.UTC), ApprovedBy: "alice"},
		app.VMLeaseExpired{ExpiresAt: time.Date(2031, 3, 1, 9, 0, 0, 0, time.UTC), GraceDays: 7},
		app.RequestLeaseDecommissioned{ExpiresAt: time.Date(2031, 3, 1, 9, 0, 0, 0, time.UTC)},
	} {
		samples[p.EventType()] = p
	}
	for _, typ := range app.EventTypes() {
		p, ok := samples[typ]
		if !ok {
			t.Errorf("no sample for %s", typ)
			continue
		}
		data, err := app.EncodePayload(p)
		if err != nil {
			t.Fatal(err)
		}
		back, err := app.DecodePayload(typ, data)
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		again, _ := app.EncodePayload(back)
		if string(again) != string(data) {
			t.Errorf("%s: %s != %s", typ, again, data)
		}
	}
	if _, err := app.DecodePayload("no.such", []byte("{}")); err == nil {
		t.Error("unknown type decoded")
	}
	if _, err := app.DecodePayload(app.EvRequestCreated, []byte("{garbage")); err == nil {
		t.Error("garbage decoded")
	}
}

// The clone task an attempt recorded is what the next attempt adopts
// through, until the VM is removed.
func TestVMCloneTask(t *testing.T) {
	ev := func(v int, p app.Payload) app.Event {
		return app.Event{StreamType: app.StreamVM, StreamID: "vm-r1", Version: v, Data: p}
	}
	evs := []app.Event{
		ev(1, app.VMProvisioningStarted{Attempt: 1}),
		ev(2, app.VMProvisioningProgressed{Stage: app.StageCloning, Attempt: 1}),
		ev(3, app.VMProvisioningProgressed{Stage: app.StageCloning, Task: "task-42", Attempt: 1}),
		ev(4, app.VMProvisioningProgressed{Stage: app.StageConfiguring, Attempt: 1}),
	}
	if got := app.NewVM("r1", evs).CloneTask(); got != "task-42" {
		t.Errorf("CloneTask = %q, want task-42", got)
	}
	evs = append(evs, ev(5, app.VMProvisioningFailed{Code: "X", Attempt: 1}), ev(6, app.VMRemoved{MoRef: "vm-7"}))
	if got := app.NewVM("r1", evs).CloneTask(); got != "" {
		t.Errorf("CloneTask after the VM was removed = %q, want none", got)
	}
}

func TestProjectRequest(t *testing.T) {
	var v app.RequestView
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	steps := []app.Event{
		{StreamType: app.StreamRequest, StreamID: "r1", TenantID: "acme", Version: 1, Data: created, At: now},
		{StreamType: app.StreamRequest, StreamID: "r1", Version: 2, Data: app.RequestApproved{By: "alice"}, At: now},
		{StreamType: app.StreamVM, StreamID: "vm-r1", Version: 1, Data: app.VMProvisioningStarted{Attempt: 1, Spec: app.VMSpec{CPUs: 4, MemoryGB: 8}}, At: now},
		{StreamType: app.StreamVM, StreamID: "vm-r1", Version: 2, Data: app.VMProvisioned{MoRef: "vm-42", IP: "10.0.0.5"}, At: now},
	}
	wantStatus := []app.Status{app.StatusPending, app.StatusApproved, app.StatusProvisioning, app.StatusReady}
	for i, e := range steps {
		app.ProjectRequest(&v, e)
		if v.Status != wantStatus[i] {
			t.Fatalf("after %T: status %s, want %s", e.Data, v.Status, wantStatus[i])
		}
	}
	if v.Version != 2 || v.VM == nil || v.VM.MoRef != "vm-42" || v.VM.CPUs != 4 || v.DecidedBy != "alice" {
		t.Fatalf("view = %+v vm=%+v", v, v.VM)
	}
}
