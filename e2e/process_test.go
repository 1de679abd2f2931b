package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binaries are the packages the tests build, once per test run.
var binaries = []string{"opengate", "gateway", "auth-service", "user-service", "realm-service",
	"rbac-service", "client-service", "session-service", "mfa-service", "notification-service"}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
	buildTime time.Duration
)

// TestMain removes the built binaries after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// bin returns the path of cmd/name, building every binary with one go build
// on first use.
func bin(t *testing.T, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		start := time.Now()
		binDir, buildErr = os.MkdirTemp("", "opengate-e2e-")
		if buildErr != nil {
			return
		}
		args := []string{"build", "-o", binDir}
		for _, b := range binaries {
			args = append(args, "github.com/opengate-iam/opengate/cmd/"+b)
		}
		cmd := exec.Command("go", args...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
		buildTime = time.Since(start)
		t.Logf("binaries built in %s", buildTime.Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, name)
}

// freePort returns a loopback address nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	// Below the kernel's ephemeral range (32768-60999 on Linux): a port
	// that net.Listen(":0") handed out and the test released could be given
	// again to another process's listener or outgoing connection before the
	// service it was meant for binds it (seen: the gateway's port answered
	// by session-service). Ports handed out once are never handed out again
	// by this test process.
	for range 1000 {
		port := 20000 + rand.IntN(12000)
		if portsGiven[port] {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue // taken
		}
		addr := ln.Addr().String()
		ln.Close()
		portsGiven[port] = true
		return addr
	}
	t.Fatal("no free port in 20000-31999")
	return ""
}

var (
	portsMu    sync.Mutex
	portsGiven = map[int]bool{}
)

// syncBuffer is a bytes.Buffer safe for a process's output and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is a binary run as a separate process, on addr, with exactly env
// (nothing of the test's environment).
type proc struct {
	t    *testing.T
	name string
	path string
	addr string
	env  map[string]string
	out  *syncBuffer // stdout and stderr of every run

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// start runs the binary name on addr with env, waits until its /readyz
// answers 200, and stops it (SIGTERM, then SIGKILL) when the test ends; on
// failure its output is logged.
func start(t *testing.T, name, addr string, env map[string]string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, path: bin(t, name), addr: addr, env: env, out: &syncBuffer{}}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("--- %s output (last 6000 bytes):\n%s", name, tail(p.out.String(), 6000))
		}
	})
	p.run()
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (p *proc) url() string { return "http://" + p.addr }

// run starts the process and waits for readiness.
func (p *proc) run() {
	p.t.Helper()
	env := make([]string, 0, len(p.env))
	for k, v := range p.env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	cmd := exec.Command(p.path, "-addr", p.addr)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
	p.waitReady(done)
}

// waitReady polls /readyz until 200, failing if the process ends or 60 s
// pass.
func (p *proc) waitReady(done chan struct{}) {
	p.t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-done:
			p.t.Fatalf("%s ended before it was ready:\n%s", p.name, tail(p.out.String(), 6000))
		default:
		}
		resp, err := client.Get(p.url() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s not ready after 60s:\n%s", p.name, tail(p.out.String(), 6000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends the process gracefully (SIGTERM, SIGKILL after 20 s).
func (p *proc) stop() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		p.t.Errorf("%s did not stop within 20s of SIGTERM", p.name)
		_ = cmd.Process.Kill()
		<-done
	}
}

// kill ends the process with SIGKILL (kill -9) and waits for it.
func (p *proc) kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// restart starts the process again with the same address and environment.
func (p *proc) restart() { p.t.Helper(); p.run() }

// waitFor polls cond every 100 ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
