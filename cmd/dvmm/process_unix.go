//go:build unix

package main

import (
	"errors"
	"syscall"
)

// processRuns reports whether a process with that pid runs on this host.
func processRuns(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
