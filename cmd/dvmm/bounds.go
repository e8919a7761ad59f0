package main

import (
	"strings"
	"time"
)

// checkDuration refuses a duration flag outside [min, max]: a value is
// honoured as given or refused, never rounded or taken for "default".
func checkDuration(flag string, d, min, max time.Duration) error {
	if d < min || d > max {
		return usageError("--%s must be between %s and %s, not %s", flag, shortDuration(min), shortDuration(max), d)
	}
	return nil
}

// shortDuration writes a round duration as people do: 1h, 10m, not 1h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
