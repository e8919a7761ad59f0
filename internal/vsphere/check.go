package vsphere

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/units"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dvmm/dvmm/internal/app"
)

// Check logs in and looks up each inventory object the settings name:
// datacenter, cluster or resource pool, datastore, network, template and
// folder (a missing folder is fine: provisioning creates it). It does not
// go through the circuit breaker: a check always tries.
func (c *Client) Check(ctx context.Context, t app.Target) []app.Check {
	var checks []app.Check
	err := c.do(ctx, t, false, func(ctx context.Context, s *conn) error {
		checks = s.check(ctx)
		if isNotAuthenticated(s.lastErr) {
			return s.lastErr // log in again and check again
		}
		return nil
	})
	if err != nil {
		return []app.Check{{Name: "login", OK: false, Detail: app.ErrorMessage(err), Code: app.ErrorCode(err)}}
	}
	return checks
}

func (s *conn) check(ctx context.Context) []app.Check {
	set := s.settings
	about := s.vc.ServiceContent.About
	checks := []app.Check{{Name: "login", OK: true,
		Detail: fmt.Sprintf("logged in to %s (%s) as %s", s.w.host, about.FullName, set.Username)}}
	add := func(name string, err error, detail string) bool {
		if err != nil {
			s.lastErr = err
			f := classify(err, s.w)
			checks = append(checks, app.Check{Name: name, OK: false, Detail: app.ErrorMessage(f), Code: app.ErrorCode(f)})
			return false
		}
		checks = append(checks, app.Check{Name: name, OK: true, Detail: detail})
		return true
	}
	skip := func(names ...string) {
		for _, n := range names {
			checks = append(checks, app.Check{Name: n, OK: false, Detail: "not checked: the datacenter was not found"})
		}
	}

	inv, err := s.inventory(ctx)
	if !add("datacenter", err, set.Datacenter) {
		skip("cluster", "datastore", "network", "template", "folder")
		return checks
	}

	name := "cluster"
	what := set.Cluster
	if set.ResourcePool != "" {
		name, what = "resource pool", set.ResourcePool
	}
	pool, err := inv.pool(ctx)
	if err == nil {
		what = fmt.Sprintf("%s (%s)", what, pool.Reference().Value)
	}
	add(name, err, what)

	ds, err := inv.datastore(ctx)
	detail := set.Datastore
	if err == nil {
		var mds mo.Datastore
		if err = ds.Properties(ctx, ds.Reference(), []string{"summary"}, &mds); err == nil {
			detail = fmt.Sprintf("%s: %s free of %s", set.Datastore, units.ByteSize(mds.Summary.FreeSpace), units.ByteSize(mds.Summary.Capacity))
			if !mds.Summary.Accessible {
				err = &app.Fault{Code: app.FaultInventoryNotFound, Message: fmt.Sprintf("datastore %q is not accessible", set.Datastore)}
			}
		}
	}
	add("datastore", err, detail)

	_, err = inv.network(ctx, set.Network)
	add("network", err, set.Network)

	tmpl, err := inv.template(ctx)
	detail = set.Template
	if err == nil {
		var mvm mo.VirtualMachine
		if err = tmpl.Properties(ctx, tmpl.Reference(), []string{"config.template", "config.hardware"}, &mvm); err == nil && mvm.Config != nil {
			kind := "VM"
			if mvm.Config.Template {
				kind = "template"
			}
			disks := 0
			var diskKB int64
			for _, d := range mvm.Config.Hardware.Device {
				if vd, ok := d.(*types.VirtualDisk); ok {
					if disks == 0 {
						diskKB = vd.CapacityInKB
					}
					disks++
				}
			}
			detail = fmt.Sprintf("%s (%s, %d vCPU, %d MB, %s system disk)", set.Template, kind,
				mvm.Config.Hardware.NumCPU, mvm.Config.Hardware.MemoryMB, units.ByteSize(diskKB*1024))
		}
	}
	add("template", err, detail)

	f, err := inv.folder(ctx, set.Folder, false)
	detail = cleanFolder(set.Folder) + " exists"
	if err == nil && f == nil {
		detail = cleanFolder(set.Folder) + " does not exist yet: it will be created"
	}
	add("folder", err, detail)
	return checks
}
