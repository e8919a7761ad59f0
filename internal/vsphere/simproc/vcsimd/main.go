// Command vcsimd runs dvmm's vCenter simulator in a process of its own and
// takes orders on standard input, one JSON object a line; see package
// simproc, which starts it for tests. It ends when its input ends.
//
// Tests are built with -race, and govmomi's simulator has data races of its
// own between concurrent tasks (a clone writing a datastore while a
// reconfigure reads it). Running the simulator here, in a process built
// without -race, keeps those out of the race detector's view while every
// line of dvmm under test stays in the race-built test process.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/dvmm/dvmm/internal/vsphere"
	"github.com/dvmm/dvmm/internal/vsphere/simproc"
)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "vcsimd:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	ctx := context.Background()
	r := bufio.NewReader(in)
	enc := json.NewEncoder(out)

	var start simproc.StartOrder
	line, err := r.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("reading the start order: %w", err)
	}
	if err := json.Unmarshal(line, &start); err != nil {
		return fmt.Errorf("start order: %w", err)
	}
	sim, err := vsphere.StartSimulator(ctx, start.Options())
	if err != nil {
		return enc.Encode(simproc.Reply{Error: err.Error()})
	}
	defer sim.Close()
	if err := enc.Encode(simproc.Reply{Started: &simproc.Started{
		URL: sim.URL(), Username: sim.Username(), Password: sim.Password(),
		Thumbprint: sim.Thumbprint(), CAFile: sim.CAFile(),
	}}); err != nil {
		return err
	}
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var o simproc.Order
		if err := json.Unmarshal(line, &o); err != nil {
			return fmt.Errorf("order: %w", err)
		}
		if err := enc.Encode(simproc.Serve(ctx, sim, o)); err != nil {
			return err
		}
	}
}
