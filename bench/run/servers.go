package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/rueidis"
)

// binaries are the commands bench/run builds and starts.
type binaries struct {
	opengate, gateway string // paths
}

// build builds cmd/opengate and cmd/gateway of the module at root into
// dir, with plain `go build` (what the footprint targets count).
func build(ctx context.Context, root, dir string, stderr io.Writer) (binaries, error) {
	b := binaries{opengate: filepath.Join(dir, "opengate"), gateway: filepath.Join(dir, "gateway")}
	for pkg, out := range map[string]string{"./cmd/opengate": b.opengate, "./cmd/gateway": b.gateway} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, stderr, stderr
		if err := cmd.Run(); err != nil {
			return binaries{}, fmt.Errorf("go build %s: %w", pkg, err)
		}
	}
	return b, nil
}

// server is a started binary.
type server struct {
	name  string // memory, postgres, seeded, gateway
	url   string // http://127.0.0.1:port
	pprof string // http://127.0.0.1:port, "" without profiles
	cmd   *exec.Cmd
	done  chan struct{} // closed when the process has exited
	log   string        // its stdout and stderr
	// startup is the time from the process's start to its first 200 on
	// master's discovery document; idleRSS its resident memory a second
	// after that, before any load.
	startup time.Duration
	idleRSS int64 // bytes; 0 where /proc is not readable
}

// freePort returns a loopback port nobody listens on at the moment.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startServer starts bin with env (added to a minimal environment: no
// OPENGATE_* variable of the caller leaks in), its output in logDir, and
// waits for a 200 on master's discovery document (at most 3 minutes).
func startServer(ctx context.Context, name, bin string, port int, env []string, logDir string) (*server, error) {
	logPath := filepath.Join(logDir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	s := &server{name: name, url: fmt.Sprintf("http://127.0.0.1:%d", port), log: logPath, done: make(chan struct{})}
	s.cmd = exec.Command(bin)
	s.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"OPENGATE_ADDR=127.0.0.1:" + strconv.Itoa(port)}, env...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	dieWithParent(s.cmd)
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "OPENGATE_PPROF_ADDR="); ok {
			s.pprof = "http://" + v
		}
	}
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		_ = s.cmd.Wait()
		logFile.Close()
		close(s.done)
	}()
	discovery := s.url + "/realms/master/.well-known/openid-configuration"
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		resp, err := client.Get(discovery)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("%s exited at start (log: %s)", name, logPath)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s did not answer discovery within 3 minutes (log: %s)", name, logPath)
		}
	}
	s.startup = time.Since(start)
	time.Sleep(time.Second)
	s.idleRSS = rss(s.cmd.Process.Pid)
	return s, nil
}

// stop ends the process gracefully (SIGTERM), killing it after 15 s.
func (s *server) stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// rss returns the resident set size of process pid, or 0 when /proc does
// not tell.
func rss(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// randomKey returns a deployment key (OPENGATE_SECRET_KEY).
func randomKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// migrate runs bin -migrate-only with env: the databases exist and are
// migrated before the timed start.
func migrate(ctx context.Context, bin string, env []string, logDir string) error {
	cmd := exec.CommandContext(ctx, bin, "-migrate-only")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		_ = os.WriteFile(filepath.Join(logDir, "migrate.log"), out, 0o600)
		return fmt.Errorf("%s -migrate-only: %w (log: %s)", filepath.Base(bin), err, filepath.Join(logDir, "migrate.log"))
	}
	return nil
}

// dropDatabases drops every database whose name starts with prefix (the
// servers using them are stopped).
func dropDatabases(ctx context.Context, serverURL, prefix string) error {
	if prefix == "" {
		return errors.New("no database prefix")
	}
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", prefix)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		if _, err := conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)"); err != nil {
			errs = append(errs, fmt.Errorf("drop %s: %w", n, err))
		}
	}
	return errors.Join(errs...)
}

// deleteKeys deletes every Redis key that starts with prefix.
func deleteKeys(ctx context.Context, redisURL, prefix string) error {
	opt, err := rueidis.ParseURL(redisURL)
	if err != nil {
		return err
	}
	opt.DisableCache = true
	rc, err := rueidis.NewClient(opt)
	if err != nil {
		return err
	}
	defer rc.Close()
	var cursor uint64
	for {
		e, err := rc.Do(ctx, rc.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			return err
		}
		if len(e.Elements) > 0 {
			if err := rc.Do(ctx, rc.B().Unlink().Key(e.Elements...).Build()).Error(); err != nil {
				return err
			}
		}
		if cursor = e.Cursor; cursor == 0 {
			return nil
		}
	}
}
