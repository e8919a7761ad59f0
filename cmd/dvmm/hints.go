package main

import (
	"strings"

	"github.com/dvmm/dvmm/internal/app"
)

// hints is the advice the CLI adds to an error of the core, keyed by its
// stable code: the core's text names no command, flag or variable, since
// an HTTP client would be told something else.
var hints = map[string]string{
	app.CodeNoTenant:             ": use --tenant or set DVMM_TENANT",
	app.CodeNoUser:               ": use --user or set DVMM_USER",
	app.CodeRequestNotFound:      ": list them with 'dvmm request list'",
	app.CodeTenantNotFound:       ": create it with 'dvmm tenant create'",
	app.CodeVMNotFound:           ": list them with 'dvmm vm list'",
	app.CodeStaleVersion:         ": look at it again with 'dvmm request show'",
	app.CodeVMwareNotConfigured:  ": an admin runs 'dvmm vmware set'",
	app.CodeBadCommandID:         ": use the number 'dvmm queue list' shows",
	app.CodeStoppedWaiting:       "; provisioning goes on in 'dvmm serve'",
	app.CodeUserInURL:            ": put the user in --username, not in the vCenter URL",
	app.CodeTrustConflict:        ": give only one of --ca-file, --thumbprint or --insecure",
	app.CodePasswordRequired:     ": give --password-file, --password-env or --password-stdin",
	app.CodeNoDatabasePath:       ": use --db or set DVMM_DB",
	app.CodeNotOurDatabase:       ": check --db or DVMM_DB",
	app.CodeNoDatabase:           ": check --db or DVMM_DB ('dvmm tenant create' makes a new one)",
	app.CodeAlreadyMember:        ": change a role with 'dvmm tenant set-role'",
	app.CodeQuotaExceeded:        ": free some (cancel a request) or ask a tenant admin to raise it ('dvmm quota set')",
	app.CodeProjectNotFound:      ": list them with 'dvmm project list', or a tenant admin runs 'dvmm project create'",
	app.CodeProjectArchived:      ": a tenant admin can bring it back with 'dvmm project restore'",
	app.CodeProjectLive:          " ('dvmm request list --project' lists them)",
	app.CodeNotInProject:         ": ask a tenant admin to add you ('dvmm project add-member')",
	app.CodeLastAdmin:            ": make another member an admin first ('dvmm tenant set-role')",
	app.FaultVMwareNotConfigured: ": an admin runs 'dvmm vmware set', then 'dvmm request retry'",
	app.FaultBadCredentials:      ": run 'dvmm vmware set' again",
	app.FaultSecretKey:           ": restore the key the password was sealed with, or point --secret-key at it",
	app.FaultTLS:                 ": give --ca-file, --thumbprint or --insecure",
}

// errorText is err's message with the CLI's advice for its code.
func errorText(err error) string {
	return withHint(app.ErrorMessage(err), app.ErrorCode(err))
}

// withHint adds the advice for code to msg. A message recorded by an
// older dvmm may carry the advice already; it is not added twice.
func withHint(msg, code string) string {
	h, ok := hints[code]
	if !ok || strings.HasSuffix(msg, h) {
		return msg
	}
	return msg + h
}
