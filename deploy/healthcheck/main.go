// Command healthcheck is the probe of the container images, which have no
// shell and no curl: it GETs each URL it is given and exits 0 when every one
// answers 200 within two seconds, else 1 with the reason on stderr.
//
//	healthcheck http://localhost:8083/readyz
//
// Compose's healthcheck runs it (deploy/compose.yaml); Kubernetes probes
// the same paths itself with httpGet.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run checks each URL in urls and returns the exit status.
func run(urls []string, stderr io.Writer) int {
	if len(urls) == 0 {
		fmt.Fprintln(stderr, "usage: healthcheck URL...")
		return 2
	}
	for _, u := range urls {
		if err := check(u); err != nil {
			fmt.Fprintf(stderr, "healthcheck: %s: %v\n", u, err)
			return 1
		}
	}
	return 0
}

// check GETs u within two seconds and fails unless the answer is 200.
func check(u string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
