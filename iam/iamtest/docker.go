package iamtest

import (
	"fmt"
	"sync"
	"time"

	"github.com/ory/dockertest/v3"
)

// containers holds the containers started for this test binary; they live
// until the process exits (dockertest's Expire reaps them).
type containers struct {
	once    sync.Once
	pool    *dockertest.Pool
	poolErr error

	mu   sync.Mutex
	urls map[string]string // image → URL
}

// docker is the one piece of package state in OpenGate: a test binary starts
// at most one container per image and shares it between its tests.
var docker containers

func (c *containers) dockerPool() (*dockertest.Pool, error) {
	c.once.Do(func() {
		p, err := dockertest.NewPool("")
		if err == nil {
			p.MaxWait = 60 * time.Second
			err = p.Client.Ping()
		}
		c.pool, c.poolErr = p, err
	})
	return c.pool, c.poolErr
}

// start runs image once per process and returns the URL built by url from the
// container's mapped port; ready is retried until it succeeds.
func (c *containers) start(repo, tag string, env []string, port string, url func(hostPort string) string, ready func(url string) error) (string, error) {
	pool, err := c.dockerPool()
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := repo + ":" + tag
	if u, ok := c.urls[key]; ok {
		return u, nil
	}
	res, err := pool.Run(repo, tag, env)
	if err != nil {
		return "", fmt.Errorf("start %s: %w", key, err)
	}
	_ = res.Expire(600)
	u := url(res.GetHostPort(port))
	if err := pool.Retry(func() error { return ready(u) }); err != nil {
		_ = pool.Purge(res)
		return "", fmt.Errorf("%s not ready: %w", key, err)
	}
	if c.urls == nil {
		c.urls = map[string]string{}
	}
	c.urls[key] = u
	return u, nil
}
