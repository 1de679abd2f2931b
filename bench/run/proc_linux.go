package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the server be killed when bench/run dies, so a
// crashed or interrupted run leaves no server running.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
