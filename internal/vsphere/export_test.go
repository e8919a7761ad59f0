package vsphere

// Logins counts the logins the client made, for tests of session reuse.
func (c *Client) Logins() int64 { return c.logins.Load() }
