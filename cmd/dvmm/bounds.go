package main

import "time"

// checkDuration refuses a duration flag outside [min, max]: a value is
// honoured as given or refused, never rounded or taken for "default".
func checkDuration(flag string, d, min, max time.Duration) error {
	if d < min || d > max {
		return usageError("--%s must be between %s and %s, not %s", flag, min, max, d)
	}
	return nil
}
