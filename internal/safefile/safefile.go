// Package safefile reads the small files a user names (config files,
// password files, key files) and standard input with a size cap, and only
// from regular files or pipes: a directory, a device or a FIFO is refused
// at once with an error that says which, never read until it ends (a
// device may never end) or waited on (a FIFO nobody writes blocks).
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Limits for what dvmm reads.
const (
	MaxConfig   = 1 << 20 // a config file
	MaxPassword = 4 << 10 // a password file or a password on standard input
	MaxKey      = 4 << 10 // a secret key file
)

// Error is a refusal: the path and why, in words a user can act on.
type Error struct {
	Path   string
	Reason string // e.g. "is a directory", "is larger than 4 KiB"
	Err    error  // the cause, when the system said no (not found, permission)
}

func (e *Error) Error() string { return e.Path + " " + e.Reason }
func (e *Error) Unwrap() error { return e.Err }

// ReadFile reads the regular file at path, of at most max bytes.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := openNoBlock(path)
	if err != nil {
		return nil, openError(path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, &Error{Path: path, Reason: "cannot be read", Err: err}
	}
	if reason := notRegular(fi.Mode()); reason != "" {
		return nil, &Error{Path: path, Reason: reason}
	}
	if fi.Size() > max {
		return nil, &Error{Path: path, Reason: "is larger than " + size(max)}
	}
	if err := setBlocking(f); err != nil {
		return nil, &Error{Path: path, Reason: "cannot be read", Err: err}
	}
	data, err := readCapped(f, max)
	if err != nil {
		return nil, withPath(path, err)
	}
	return data, nil
}

// ReadStdin reads standard input (or r, when it is not a file) to its end,
// at most max bytes. As a file, it must be a regular file or a pipe: a
// terminal or another device is refused (a prompt reads a terminal).
func ReadStdin(r io.Reader, max int64) ([]byte, error) {
	if f, ok := r.(*os.File); ok {
		fi, err := f.Stat()
		if err != nil {
			return nil, &Error{Path: "standard input", Reason: "cannot be read", Err: err}
		}
		if m := fi.Mode(); m&fs.ModeNamedPipe == 0 {
			if reason := notRegular(m); reason != "" {
				return nil, &Error{Path: "standard input", Reason: reason}
			}
		}
	}
	data, err := readCapped(r, max)
	return data, withPath("standard input", err)
}

// readCapped reads r to its end; more than max bytes is an error.
func readCapped(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, &Error{Reason: "cannot be read", Err: err}
	}
	if int64(len(data)) > max {
		return nil, &Error{Reason: "is larger than " + size(max)}
	}
	return data, nil
}

func withPath(path string, err error) error {
	var e *Error
	if errors.As(err, &e) && e.Path == "" {
		e.Path = path
	}
	return err
}

func notRegular(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return ""
	case m.IsDir():
		return "is a directory, not a file"
	case m&fs.ModeNamedPipe != 0:
		return "is a FIFO, not a regular file"
	case m&fs.ModeSocket != 0:
		return "is a socket, not a regular file"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "is a device, not a regular file"
	}
	return "is not a regular file"
}

func openError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &Error{Path: path, Reason: "does not exist", Err: err}
	case errors.Is(err, fs.ErrPermission):
		return &Error{Path: path, Reason: "cannot be read: permission denied", Err: err}
	}
	return &Error{Path: path, Reason: "cannot be opened", Err: err}
}

func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
