package app

import (
	"context"
)

// SetVMware records a tenant's vCenter settings and seals its password
// apart from the event log.
func (a *App) SetVMware(ctx context.Context, actor Actor, s VMwareSettings, password string) (VMwareSettings, error) {
	if err := needTenant(actor); err != nil {
		return VMwareSettings{}, err
	}
	if err := needUser(actor); err != nil {
		return VMwareSettings{}, err
	}
	s.HasPassword = password != ""
	if a.Secrets == nil {
		return VMwareSettings{}, Errorf(KindUnavailable, "no secret key is available to seal the vCenter password")
	}
	err := a.Store.Update(ctx, func(tx Tx) error {
		t, err := loadTenant(ctx, tx, actor.Tenant)
		if err != nil {
			return err
		}
		payloads, err := t.ConfigureVMware(actor.User, s)
		if err != nil {
			return err
		}
		sealed, err := a.Secrets.Seal([]byte(password))
		if ErrorCode(err) == CodeSecretKey {
			return err // the key file is wrong: its own message says how
		}
		if err != nil {
			return Errorf(KindUnavailable, "cannot seal the vCenter password: %v", err)
		}
		if err := tx.PutSecret(ctx, actor.Tenant, SecretPassword, sealed, a.Now()); err != nil {
			return err
		}
		_, err = a.record(ctx, tx, actor.Tenant, StreamTenant, actor.Tenant, t.Version(), a.meta(actor), payloads...)
		return err
	})
	return s, err
}

// ShowVMware returns the tenant's settings (never the password).
func (a *App) ShowVMware(ctx context.Context, actor Actor) (VMwareSettings, error) {
	if _, err := a.memberOf(ctx, actor); err != nil {
		return VMwareSettings{}, err
	}
	s, err := a.Views.VMwareSettings(ctx, actor.Tenant)
	if ErrorKind(err) == KindNotFound {
		return s, Coded(KindNotFound, CodeVMwareNotConfigured, "VMware is not configured for tenant %s", actor.Tenant)
	}
	return s, err
}

// TestVMware logs in to the tenant's vCenter and checks its inventory.
func (a *App) TestVMware(ctx context.Context, actor Actor) ([]Check, error) {
	if _, err := a.ShowVMware(ctx, actor); err != nil {
		return nil, err
	}
	t, err := a.target(ctx, actor.Tenant)
	if err != nil {
		return []Check{{Name: "password", OK: false, Detail: ErrorMessage(err), Code: ErrorCode(err)}}, nil
	}
	if a.Hypervisor == nil {
		return nil, Errorf(KindUnavailable, "no hypervisor is wired into this process")
	}
	return a.Hypervisor.Check(ctx, t), nil
}

// resolveVM accepts a request id prefix, a VM id (vm-<request id>) or a VM name.
func (a *App) resolveVM(ctx context.Context, actor Actor, ref string) (string, error) {
	if id, err := a.resolve(ctx, actor, RequestIDOfVM(ref)); err == nil {
		return id, nil
	}
	if err := ValidateName(ref); err == nil {
		vs, err := a.Views.ListRequests(ctx, RequestFilter{Tenant: actor.Tenant, HasVM: true})
		if err != nil {
			return "", err
		}
		var match []string
		for _, v := range vs {
			if v.Name == ref {
				match = append(match, v.ID)
			}
		}
		if len(match) == 1 {
			return match[0], nil
		}
		if len(match) > 1 {
			return "", Errorf(KindInvalid, "%d VMs are named %s: give the request id instead", len(match), ref)
		}
	}
	return "", Coded(KindNotFound, CodeVMNotFound, "VM %s not found in your tenant", Clip(ref, 30))
}

// ListVMs lists the requests of the actor's tenant that have a VM.
func (a *App) ListVMs(ctx context.Context, actor Actor) ([]RequestView, error) {
	return a.ListRequests(ctx, actor, RequestFilter{HasVM: true})
}
