package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/bench/internal/loadgen"
)

// profile runs every scenario on every target once more, unmeasured, and
// takes a CPU profile of the server under that load (and of the all-in-one
// behind a gateway) from its OPENGATE_PPROF_ADDR listener. It writes
// <target>-<scenario>-<alg>.pprof into the profile directory, with the
// hottest functions beside it (.top.txt, from go tool pprof -top).
func (d *deployment) profile(ctx context.Context, root string) error {
	seconds := max(1, int(d.cfg.duration.Seconds())-1)
	for _, s := range d.cfg.scenarios {
		for _, t := range d.targets {
			cfg := d.loadConfig(t, s, time.Duration(seconds)*time.Second+time.Second)
			loaded := make(chan error, 1)
			go func() { _, err := loadgen.Run(ctx, cfg); loaded <- err }()
			time.Sleep(500 * time.Millisecond) // the workers are prepared and running
			name := fmt.Sprintf("%s-%s-%s", t.name, s.name, s.alg)
			srvs := map[string]*server{name: t.server}
			if t.behind != nil {
				srvs[name+"-upstream"] = t.behind
			}
			var wg sync.WaitGroup
			errs := make(chan error, len(srvs))
			for file, srv := range srvs {
				wg.Go(func() { errs <- d.fetchProfile(ctx, root, srv, seconds, file) })
			}
			wg.Wait()
			close(errs)
			if err := <-loaded; err != nil {
				return fmt.Errorf("profile of %s: %w", name, err)
			}
			for err := range errs {
				if err != nil {
					return err
				}
			}
		}
	}
	fmt.Fprintf(d.stderr, "run: profiles in %s\n", d.cfg.profileDir)
	return nil
}

// fetchProfile writes srv's CPU profile over the next seconds to
// <name>.pprof and its top functions to <name>.top.txt.
func (d *deployment) fetchProfile(ctx context.Context, root string, srv *server, seconds int, name string) error {
	if srv.pprof == "" {
		return fmt.Errorf("%s serves no profiles", srv.name)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", srv.pprof, seconds), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: time.Duration(seconds)*time.Second + 30*time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("profile of %s: %w", srv.name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile of %s: %d", srv.name, resp.StatusCode)
	}
	path := filepath.Join(d.cfg.profileDir, name+".pprof")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=40", path)
	cmd.Dir = root
	top, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go tool pprof %s: %w", path, err)
	}
	return os.WriteFile(strings.TrimSuffix(path, ".pprof")+".top.txt", top, 0o644)
}
