package main

import (
	"os/exec"
	"syscall"
)

// dieWithTest makes the child be killed when the test process dies, so a
// test that crashes leaves no all-in-one running.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
