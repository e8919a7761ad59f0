package contract_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/contract"
)

// encode is how the CLI prints JSON.
func encode(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestShapes: each contract, built from filled-in read models, prints
// exactly what dvmm printed before the contracts had a package of their
// own (testdata/*.json were written by that release's types).
func TestShapes(t *testing.T) {
	at := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)
	vm := &app.VMView{ID: "vm-abcd", Status: app.StatusReady, Stage: app.StageCloning, Attempt: 2, VCenterName: "web-01", Folder: "dvmm/acme/shop",
		MoRef: "vm-42", InstanceUUID: "u-1", IP: "10.0.0.5", CPUs: 2, MemoryGB: 4, PowerState: "poweredOn", ErrorCode: "X", Error: "e"}
	req := app.RequestView{ID: "abcd", Tenant: "acme", Name: "web-01", Project: "shop", Size: "S", CPUs: 2, MemoryGB: 4, DiskGB: 50,
		Network: "VM Network", Justification: "load tests", Requester: "bob", Status: app.StatusReady, Version: 3, DecidedBy: "alice",
		Reason: "r", CreatedAt: at, UpdatedAt: at.Add(time.Second), VM: vm}
	bare := app.RequestView{ID: "efgh", Tenant: "acme", Name: "web-02", Project: "shop", Size: "S", Justification: "load tests", Requester: "bob",
		Status: app.StatusPending, Version: 1, CreatedAt: at, UpdatedAt: at}
	live := &app.Machine{Name: "web-01", Folder: "dvmm/acme/shop", MoRef: "vm-42", InstanceUUID: "u-1", IP: "10.0.0.5", Hostname: "web-01",
		CPUs: 2, MemoryMB: 4096, PowerState: "poweredOn", Adopted: true}
	// The second step is of a type this release has no words for: its type shows.
	tl := []app.TimelineEntry{{Seq: 1, RequestID: "abcd", At: at, Actor: "bob", Type: app.EvRequestCreated, Data: app.RequestCreated{}},
		{Seq: 2, At: at, Type: "no actor"}}
	cmd := app.Command{ID: 7, Key: "CreateVm:abcd:1", Type: "CreateVm", Tenant: "acme", RequestID: "abcd", Payload: []byte(`{"request_id":"abcd"}`),
		Status: app.CommandPending, Attempts: 1, NextRunAt: at, ClaimedBy: "w1", LeaseUntil: at.Add(time.Minute), LastError: "busy",
		Correlation: "corr", CreatedAt: at}
	bareCmd := app.Command{ID: 8, Key: "k", Type: "ProvisionVm", Tenant: "acme", RequestID: "abcd", Payload: []byte(`{}`), Status: app.CommandDone,
		NextRunAt: at, CreatedAt: at}
	for name, v := range map[string]any{
		"request":          contract.NewRequests([]app.RequestView{req, bare}),
		"request_timeline": []contract.RequestWithTimeline{contract.NewRequestWithTimeline(req, tl), contract.NewRequestWithTimeline(bare, nil)},
		"vm_status": []contract.VMStatus{contract.NewVMStatus(req, app.LiveVM{Machine: live}), contract.NewVMStatus(req, app.LiveVM{}), contract.NewVMStatus(bare, app.LiveVM{}),
			contract.NewVMStatus(req, app.LiveVM{Missing: true}), contract.NewVMStatus(req, app.LiveVM{Error: "vCenter vc.example is unreachable"})},
		"queue_item": contract.NewQueueItems([]app.QueueItem{{Command: cmd, State: "running"}, {Command: bareCmd, State: "done"}}),
		"tenant": contract.NewTenants([]app.TenantView{{Name: "acme", Members: []app.Member{{User: "alice", Role: app.RoleAdmin}, {User: "bob", Role: app.RoleUser}},
			Version: 3, CreatedAt: at, VMware: true}, {Name: "globex", Version: 1, CreatedAt: at}}),
		"doctor_report": contract.DoctorReport{OK: false, Checks: []contract.Check{{Name: "database", Status: contract.CheckOK, Detail: "d"},
			{Name: "queue", Status: contract.CheckWarn, Detail: "w"}}},
	} {
		t.Run(name, func(t *testing.T) {
			got := encode(t, v)
			if os.Getenv("DVMM_UPDATE_GOLDEN") != "" {
				// A deliberate change of the contract rewrites its golden file.
				if err := os.WriteFile(filepath.Join("testdata", name+".json"), got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want := golden(t, name); !bytes.Equal(got, want) {
				t.Fatalf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestOlderOutputsRoundTrip: what an older release printed for real
// requests, VMs and tenants (the store's fixture) reads into the
// contracts and prints again byte for byte: no field lost, added or moved.
func TestOlderOutputsRoundTrip(t *testing.T) {
	dir := filepath.Join("..", "store", "testdata", "v1")
	for file, v := range map[string]any{
		"retried.json":     &contract.RequestWithTimeline{},
		"failed.json":      &contract.RequestWithTimeline{},
		"novmware.json":    &contract.RequestWithTimeline{},
		"waiting.json":     &contract.RequestWithTimeline{},
		"acme-list.json":   &[]contract.Request{},
		"globex-list.json": &[]contract.Request{},
		"acme-vms.json":    &[]contract.VMStatus{},
		"tenants.json":     &[]contract.Tenant{},
	} {
		t.Run(file, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(want))
			dec.DisallowUnknownFields()
			if err := dec.Decode(v); err != nil {
				t.Fatal(err)
			}
			if got := encode(t, v); !bytes.Equal(got, want) {
				t.Fatalf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}
