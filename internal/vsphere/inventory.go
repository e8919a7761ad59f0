package vsphere

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dvmm/dvmm/internal/app"
)

// inventory resolves the objects the settings name, within one datacenter.
type inventory struct {
	s      *conn
	dc     *object.Datacenter
	finder *find.Finder
}

// inventory finds the datacenter of the settings.
func (s *conn) inventory(ctx context.Context) (*inventory, error) {
	f := find.NewFinder(s.vc, false)
	name := s.settings.Datacenter
	var dc *object.Datacenter
	if simpleName(name) {
		ref, err := object.NewSearchIndex(s.vc).FindByInventoryPath(ctx, "/"+name)
		if err != nil {
			return nil, err
		}
		dc, _ = ref.(*object.Datacenter)
	}
	if dc == nil {
		var err error
		if dc, err = f.Datacenter(ctx, name); err != nil {
			return nil, s.notFound(err, app.FaultInventoryNotFound, "datacenter", name)
		}
	}
	f.SetDatacenter(dc)
	return &inventory{s: s, dc: dc, finder: f}, nil
}

// simpleName reports a name (not a path) that needs no escaping in an
// inventory path.
func simpleName(name string) bool {
	return name != "" && !strings.ContainsAny(name, "/%*?") && name != "." && name != ".."
}

// direct looks an object up by its name right below one of the
// datacenter's folders (vm, host, datastore, network): one call, where
// the finder would walk the folder tree. It returns nil when the object is
// not there (it may be deeper) or name is a path.
func (inv *inventory) direct(ctx context.Context, folder, name string) (object.Reference, error) {
	if !simpleName(name) {
		return nil, nil
	}
	return object.NewSearchIndex(inv.s.vc).FindByInventoryPath(ctx, inv.dc.InventoryPath+"/"+folder+"/"+name)
}

// notFound turns find's lookup errors into a fault naming the object.
func (s *conn) notFound(err error, code, kind, name string) error {
	var nf *find.NotFoundError
	var many *find.MultipleFoundError
	switch {
	case errors.As(err, &nf):
		where := fmt.Sprintf("datacenter %s", s.settings.Datacenter)
		if kind == "datacenter" {
			where = "vCenter " + s.w.host
		}
		return &app.Fault{Code: code, Err: err, Message: fmt.Sprintf("%s %q not found in %s", kind, name, where)}
	case errors.As(err, &many):
		return &app.Fault{Code: app.FaultVsphere, Err: err, Message: fmt.Sprintf("%s %q matches several objects: give its inventory path", kind, name)}
	}
	return err
}

func (inv *inventory) template(ctx context.Context) (*object.VirtualMachine, error) {
	name := inv.s.settings.Template
	ref, err := inv.direct(ctx, "vm", name)
	if err != nil {
		return nil, err
	}
	if vm, ok := ref.(*object.VirtualMachine); ok {
		return vm, nil
	}
	vm, err := inv.finder.VirtualMachine(ctx, name)
	if err != nil {
		return nil, inv.s.notFound(err, app.FaultTemplateNotFound, "template", name)
	}
	return vm, nil
}

// pool is the configured resource pool, or else the root pool of the
// configured cluster (or standalone host).
func (inv *inventory) pool(ctx context.Context) (*object.ResourcePool, error) {
	set := inv.s.settings
	if set.ResourcePool != "" {
		p, err := inv.finder.ResourcePool(ctx, set.ResourcePool)
		if err != nil {
			return nil, inv.s.notFound(err, app.FaultInventoryNotFound, "resource pool", set.ResourcePool)
		}
		return p, nil
	}
	ref, err := inv.direct(ctx, "host", set.Cluster)
	if err != nil {
		return nil, err
	}
	var cr *object.ComputeResource
	switch r := ref.(type) {
	case *object.ClusterComputeResource:
		cr = &r.ComputeResource
	case *object.ComputeResource:
		cr = r
	default:
		if cr, err = inv.finder.ComputeResource(ctx, set.Cluster); err != nil {
			return nil, inv.s.notFound(err, app.FaultInventoryNotFound, "cluster", set.Cluster)
		}
	}
	return cr.ResourcePool(ctx)
}

func (inv *inventory) datastore(ctx context.Context) (*object.Datastore, error) {
	name := inv.s.settings.Datastore
	ref, err := inv.direct(ctx, "datastore", name)
	if err != nil {
		return nil, err
	}
	if ds, ok := ref.(*object.Datastore); ok {
		return ds, nil
	}
	ds, err := inv.finder.Datastore(ctx, name)
	if err != nil {
		return nil, inv.s.notFound(err, app.FaultInventoryNotFound, "datastore", name)
	}
	return ds, nil
}

func (inv *inventory) network(ctx context.Context, name string) (object.NetworkReference, error) {
	ref, err := inv.direct(ctx, "network", name)
	if err != nil {
		return nil, err
	}
	if n, ok := ref.(object.NetworkReference); ok {
		return n, nil
	}
	n, err := inv.finder.Network(ctx, name)
	if err != nil {
		return nil, inv.s.notFound(err, app.FaultInventoryNotFound, "network", name)
	}
	return n, nil
}

// folder returns the folder at rel (a path below the datacenter's VM
// folder), or nil when it does not exist and create is false. With
// create, it makes each missing level; a level that a concurrent call
// made first is looked up again. Levels are read through the property
// collector, not the SearchIndex: vcsim's SearchIndex reads a folder's
// children without the folder's lock, racing with a concurrent
// CreateFolder or clone into it.
func (inv *inventory) folder(ctx context.Context, rel string, create bool) (*object.Folder, error) {
	rel = cleanFolder(strings.TrimPrefix(rel, inv.dc.InventoryPath+"/vm"))
	folders, err := inv.dc.Folders(ctx)
	if err != nil {
		return nil, err
	}
	cur := folders.VmFolder
	if rel == "" {
		return cur, nil
	}
	done := []string{}
	for _, name := range strings.Split(rel, "/") {
		done = append(done, name)
		ref, kind, err := inv.s.childNamed(ctx, cur, name)
		if err != nil {
			return nil, err
		}
		if ref == nil {
			if !create {
				return nil, nil
			}
			f, err := cur.CreateFolder(ctx, name)
			if err == nil {
				cur = f
				continue
			}
			if !fault.Is(err, &types.DuplicateName{}) {
				return nil, err
			}
			if ref, kind, err = inv.s.childNamed(ctx, cur, name); err != nil {
				return nil, err
			}
			if ref == nil {
				return nil, &app.Fault{Code: app.FaultBusy, Transient: true,
					Message: fmt.Sprintf("folder %s was being created and removed at once: try again", strings.Join(done, "/"))}
			}
		}
		if kind != "Folder" {
			return nil, &app.Fault{Code: app.FaultVsphere,
				Message: fmt.Sprintf("%s in the VM folder is a %s, not a folder: choose another folder", strings.Join(done, "/"), kind)}
		}
		cur = object.NewFolder(inv.s.vc, *ref)
	}
	return cur, nil
}

// cleanFolder trims a folder path to its names: "/dvmm//acme/" → "dvmm/acme".
func cleanFolder(p string) string {
	var parts []string
	for _, s := range strings.Split(p, "/") {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "/")
}
