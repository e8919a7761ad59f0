package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dvmm/dvmm/internal/app"
	"github.com/dvmm/dvmm/internal/safefile"
)

func newVMwareSetCmd(c *cli) *cobra.Command {
	var (
		s             app.VMwareSettings
		passwordFile  string
		passwordEnv   string
		passwordStdin bool
		ipTimeout     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "set",
		Short: "Set your tenant's vCenter settings (admin only)",
		Long: `Set where your tenant's VMs are made. The password is read from a file
(--password-file), an environment variable (--password-env NAME), standard
input (--password-stdin) or, on a terminal, a prompt; never from a flag value.
TLS: give the vCenter's CA (--ca-file) or certificate thumbprint
(--thumbprint); --insecure skips verification and must be asked for.`,
		Example: `  dvmm --user alice vmware set --url https://vc.example/sdk --username svc-dvmm \
      --password-file /run/secrets/vc --datacenter DC0 --cluster DC0_C0 \
      --datastore LocalDS_0 --network "VM Network" --template ubuntu-22.04-template \
      --folder dvmm --thumbprint AA:BB:...`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw, err := readPassword(c, "vCenter password: ", passwordFile, passwordEnv, passwordStdin)
			if err != nil {
				return err
			}
			if s.MaxTasks < 1 || s.MaxTasks > app.MaxMaxTasks {
				return usageError("--max-tasks must be between 1 and %d", app.MaxMaxTasks)
			}
			// Kept in whole seconds: a value with a fraction would be
			// rounded, and one below a second stored as 0, the default.
			if err := checkDuration("ip-timeout", ipTimeout, time.Second, 24*time.Hour); err != nil {
				return err
			}
			if ipTimeout%time.Second != 0 {
				return usageError("--ip-timeout is kept in whole seconds: %s is not", ipTimeout)
			}
			if s.CAFile != "" {
				if err := checkCAFile(s.CAFile); err != nil {
					return err
				}
				// Kept as an absolute path: serve reads it later, from
				// another folder (or, through the API, another process).
				if abs, err := filepath.Abs(s.CAFile); err == nil {
					s.CAFile = abs
				}
			}
			s.IPTimeoutSec = int(ipTimeout / time.Second)
			a, err := c.Service(cmd.Context())
			if err != nil {
				return err
			}
			saved, err := a.SetVMware(cmd.Context(), c.actor(), s, pw)
			if err != nil {
				return err
			}
			if c.structured() {
				return c.printer.data(saved)
			}
			fmt.Fprintf(c.out, "VMware settings of tenant %s saved; check them with 'dvmm vmware test'\n", c.actor().Tenant)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&s.URL, "url", "", "vCenter SDK URL, https://host/sdk")
	f.StringVar(&s.Username, "username", "", "vCenter user")
	f.StringVar(&passwordFile, "password-file", "", "read the password from this file")
	f.StringVar(&passwordEnv, "password-env", "", "read the password from this environment variable")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input")
	f.StringVar(&s.Datacenter, "datacenter", "", "datacenter")
	f.StringVar(&s.Cluster, "cluster", "", "cluster (its root resource pool is used)")
	f.StringVar(&s.ResourcePool, "resource-pool", "", "resource pool path (instead of --cluster)")
	f.StringVar(&s.Datastore, "datastore", "", "datastore")
	f.StringVar(&s.Network, "network", "", "default network of the tenant's VMs")
	f.StringVar(&s.Template, "template", "", "template to clone")
	f.StringVar(&s.Folder, "folder", "dvmm", "VM folder; VMs go to <folder>/<tenant>/<project>")
	f.StringVar(&s.CAFile, "ca-file", "", "PEM file of the CA that signed vCenter's certificate")
	f.StringVar(&s.Thumbprint, "thumbprint", "", "SHA-1 thumbprint of vCenter's certificate")
	f.BoolVar(&s.Insecure, "insecure", false, "do not verify vCenter's certificate")
	f.DurationVar(&ipTimeout, "ip-timeout", app.DefaultIPTimeout, "how long to wait for a new VM's IP")
	f.IntVar(&s.MaxTasks, "max-tasks", app.DefaultMaxTasks, "clone and power tasks run on this vCenter at once, by all workers and serve processes together")
	return cmd
}

// readPassword takes the password from exactly one source.
func readPassword(c *cli, prompt, file, env string, stdin bool) (string, error) {
	sources := 0
	for _, set := range []bool{file != "", env != "", stdin} {
		if set {
			sources++
		}
	}
	if sources > 1 {
		return "", usageError("give only one of --password-file, --password-env and --password-stdin")
	}
	var pw string
	switch {
	case file != "":
		// A regular file of a sane size only: a FIFO or a device would
		// hang or never end, a directory is a typo.
		data, err := safefile.ReadFile(file, maxPasswordFile)
		if err != nil {
			return "", usageError("password file %v", err)
		}
		pw = strings.TrimRight(string(data), "\r\n")
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok {
			return "", usageError("environment variable %s is not set", env)
		}
		pw = v
	case stdin:
		data, err := safefile.ReadStdin(c.in, maxPasswordFile)
		if err != nil {
			return "", usageError("%v", err)
		}
		line, _, _ := strings.Cut(string(data), "\n")
		pw = strings.TrimRight(line, "\r\n")
	default:
		f, ok := c.in.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return "", usageError("no password given: use --password-file, --password-env or --password-stdin")
		}
		fmt.Fprint(c.errOut, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.errOut)
		if err != nil {
			return "", usageError("cannot read the password")
		}
		pw = string(b)
	}
	if pw == "" {
		return "", usageError("the password is empty")
	}
	return pw, nil
}

// maxPasswordFile caps a password file or standard input.
const maxPasswordFile = 4 << 10

// maxCAFile caps a CA bundle: a few certificates, not a disk image.
const maxCAFile = 1 << 20

// checkCAFile refuses a CA file that is not a readable regular file
// holding at least one PEM certificate, before anything is stored.
func checkCAFile(path string) error {
	data, err := safefile.ReadFile(path, maxCAFile)
	if err != nil {
		return usageError("--ca-file %v", err)
	}
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return usageError("--ca-file %s holds no PEM certificate", app.Clip(path, 60))
		}
		if b.Type == "CERTIFICATE" {
			if _, err := x509.ParseCertificate(b.Bytes); err == nil {
				return nil
			}
		}
	}
}
