//go:build unix

package safefile

import (
	"os"
	"syscall"
)

// openNoBlock opens path for reading without waiting: opening a FIFO that
// no one writes would otherwise block until someone does.
func openNoBlock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// setBlocking turns a regular file back to ordinary reads.
func setBlocking(f *os.File) error {
	return syscall.SetNonblock(int(f.Fd()), false)
}
