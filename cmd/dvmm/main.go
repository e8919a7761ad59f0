// Command dvmm is a self-service VM provisioning tool for VMware vCenter.
package main

import "os"

func main() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
