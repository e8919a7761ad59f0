package vsphere

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dvmm/dvmm/internal/app"
)

// Survey reads every VM below the tenant's folders that carries a request
// id, in one property-collector pass over a container view: a reconcile
// of a thousand VMs costs a handful of round trips, not one per VM. A VM
// that vCenter does not list is simply absent from the result.
func (c *Client) Survey(ctx context.Context, t app.Target) ([]app.SurveyedVM, error) {
	var out []app.SurveyedVM
	err := c.do(ctx, t, true, func(ctx context.Context, s *conn) error {
		out = nil
		inv, err := s.inventory(ctx)
		if err != nil {
			return err
		}
		base, err := inv.folder(ctx, s.settings.Folder, false)
		if err != nil || base == nil {
			return err // no folder yet: no VM of dvmm's either
		}
		v, err := view.NewManager(s.vc).CreateContainerView(ctx, base.Reference(), []string{"VirtualMachine"}, true)
		if err != nil {
			return err
		}
		defer func() { _ = v.Destroy(context.WithoutCancel(ctx)) }()
		tag := fmt.Sprintf("config.extraConfig[%q]", RequestIDKey)
		var content []types.ObjectContent
		if err := v.Retrieve(ctx, []string{"VirtualMachine"}, append([]string{tag}, machineProps...), &content); err != nil {
			return err
		}
		for _, oc := range content {
			// The tag is read by its key alone, so it is taken apart
			// from the properties a Machine is loaded from.
			id, rest := "", oc.PropSet[:0:0]
			for _, p := range oc.PropSet {
				if p.Name == tag {
					id = optionString(p.Val)
					continue
				}
				rest = append(rest, p)
			}
			if id == "" {
				continue
			}
			oc.PropSet = rest
			var vm mo.VirtualMachine
			if err := mo.LoadObjectContent([]types.ObjectContent{oc}, &vm); err != nil {
				return err
			}
			if vm.Config != nil && vm.Config.Template {
				continue
			}
			out = append(out, app.SurveyedVM{RequestID: id, Machine: toMachine(vm, nil)})
		}
		return nil
	})
	return out, err
}

// optionString is the value of an extraConfig entry read by its key.
func optionString(v any) string {
	switch o := v.(type) {
	case types.OptionValue:
		s, _ := o.Value.(string)
		return s
	case *types.OptionValue:
		s, _ := o.Value.(string)
		return s
	}
	return ""
}
