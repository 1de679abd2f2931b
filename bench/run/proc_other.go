//go:build !linux

package main

import "os/exec"

// dieWithParent does nothing where the server cannot be tied to bench/run:
// a crashed run may leave it running.
func dieWithParent(*exec.Cmd) {}
