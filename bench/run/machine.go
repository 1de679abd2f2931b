package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/rueidis"
)

// machine is what the table's header says about where it was measured.
type machine struct {
	date       time.Time
	cpu        string
	cores      int
	memory     string
	goVersion  string
	platform   string
	kernel     string
	loadStart  string // /proc/loadavg's three averages
	loadEnd    string
	postgres   string // server version, "" when not used
	redis      string
	binarySize map[string]int64
}

// describe reads the machine's details (what /proc does not give is
// "unknown").
func describe() machine {
	return machine{
		date:      time.Now().UTC(),
		cpu:       cpuModel(),
		cores:     runtime.NumCPU(),
		memory:    memTotal(),
		goVersion: runtime.Version(),
		platform:  runtime.GOOS + "/" + runtime.GOARCH,
		kernel:    firstLine("/proc/sys/kernel/osrelease"),
		loadStart: loadAverage(),
	}
}

func firstLine(path string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(raw)), "\n")
	return line
}

// loadAverage is the 1, 5 and 15 minute load averages.
func loadAverage() string {
	f := strings.Fields(firstLine("/proc/loadavg"))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " / ")
}

func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func memTotal() string {
	raw, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err == nil {
				return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	return "unknown"
}

// serverVersions reads the PostgreSQL and Redis servers' versions.
func serverVersions(ctx context.Context, postgresURL, redisURL string) (pg, redis string, err error) {
	conn, err := pgx.Connect(ctx, postgresURL)
	if err != nil {
		return "", "", fmt.Errorf("PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version')").Scan(&pg); err != nil {
		return "", "", fmt.Errorf("PostgreSQL: %w", err)
	}
	opt, err := rueidis.ParseURL(redisURL)
	if err != nil {
		return "", "", fmt.Errorf("redis: %w", err)
	}
	opt.DisableCache = true
	rc, err := rueidis.NewClient(opt)
	if err != nil {
		return "", "", fmt.Errorf("redis: %w", err)
	}
	defer rc.Close()
	info, err := rc.Do(ctx, rc.B().Info().Section("server").Build()).ToString()
	if err != nil {
		return "", "", fmt.Errorf("redis: %w", err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			redis = v
		}
	}
	return pg, redis, nil
}
