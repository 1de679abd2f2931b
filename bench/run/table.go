package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/bench/internal/loadgen"
)

// figures are a target's medians over the rounds of one scenario.
type figures struct {
	rate     float64
	p50, p99 time.Duration
	failed   int64
	// censored: in some round a request cut off at the end had been
	// running longer than that round's p99.
	censored bool
}

// summarize returns the medians of rs (each figure on its own).
func summarize(rs []loadgen.Result) figures {
	var f figures
	var rates []float64
	var p50s, p99s []time.Duration
	for _, r := range rs {
		rates = append(rates, r.Rate())
		p50s = append(p50s, r.Percentile(0.50))
		p99s = append(p99s, r.Percentile(0.99))
		f.failed += r.Failed
		f.censored = f.censored || r.Censored()
	}
	f.rate, f.p50, f.p99 = median(rates), median(p50s), median(p99s)
	return f
}

func median[T int64 | float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// thousands formats n with comma thousands separators.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// millis formats d in milliseconds with two significant digits (whole
// milliseconds from 10 ms on).
func millis(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms >= 10:
		return thousands(int64(ms+0.5)) + " ms"
	case ms >= 1:
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	default:
		return strconv.FormatFloat(ms, 'f', 2, 64) + " ms"
	}
}

func mib(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB" }

// writeTable prints the markdown: the machine, how it was run, the
// servers' footprint, and one row per scenario with each target's
// throughput, p50 and p99 and its throughput as a percentage of the
// target it is compared with.
func writeTable(w io.Writer, cfg config, m machine, targets []*target, res results) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s with `%s`:\n\n", m.date.Format("2006-01-02 15:04 UTC"), cfg.command)
	fmt.Fprintf(&b, "- machine: %s, %d cores, %s memory, %s, kernel %s, %s\n", m.cpu, m.cores, m.memory, m.platform, m.kernel, m.goVersion)
	if m.postgres != "" {
		fmt.Fprintf(&b, "- PostgreSQL %s and Redis %s on the same machine\n", m.postgres, m.redis)
	}
	fmt.Fprintf(&b, "- load average (1 / 5 / 15 min): %s at the start, %s at the end\n", m.loadStart, m.loadEnd)
	rounds := "1 round"
	if cfg.rounds > 1 {
		rounds = fmt.Sprintf("medians of %d rounds", cfg.rounds)
	}
	warmup := "no warm-up"
	if cfg.warmup > 0 {
		warmup = fmt.Sprintf("after an unmeasured %s warm-up", cfg.warmup)
	}
	fmt.Fprintf(&b, "- %d keep-alive workers, %s per run (%s), %s, every scenario on every target in turn (the order reversed every other round); the load generator runs on the same machine\n",
		cfg.workers, cfg.duration, warmup, rounds)
	var sizes []string
	for _, name := range []string{"opengate", "gateway"} {
		if n, ok := m.binarySize[name]; ok {
			sizes = append(sizes, fmt.Sprintf("%s %s", name, mib(n)))
		}
	}
	fmt.Fprintf(&b, "- binaries (`go build`): %s\n", strings.Join(sizes, ", "))
	var starts []string
	for _, t := range targets {
		s := t.server
		starts = append(starts, fmt.Sprintf("%s %s, %s", t.name, millis(s.startup), mib(s.idleRSS)))
	}
	note := ""
	if m.postgres != "" {
		note = " (PostgreSQL+Redis on databases migrated beforehand)"
	}
	fmt.Fprintf(&b, "- start to a 200 on discovery, idle RSS a second later: %s%s\n\n", strings.Join(starts, "; "), note)

	byName := map[string]*target{}
	for _, t := range targets {
		byName[t.name] = t
	}
	head, rule := []string{"scenario"}, []string{"---"}
	for _, t := range targets {
		head = append(head, t.label+" req/s", "p50", "p99")
		rule = append(rule, "---:", "---:", "---:")
		if byName[t.versus] != nil {
			head = append(head, "% of "+byName[t.versus].name)
			rule = append(rule, "---:")
		}
	}
	fmt.Fprintf(&b, "| %s |\n|%s|\n", strings.Join(head, " | "), strings.Join(rule, "|"))
	censored := false
	for _, s := range cfg.scenarios {
		row := []string{s.label()}
		for _, t := range targets {
			f := summarize(res[t.name][s])
			rate := thousands(int64(f.rate + 0.5))
			if f.failed > 0 {
				rate += fmt.Sprintf(" (%d failed)", f.failed)
			}
			p99 := millis(f.p99)
			if f.censored {
				p99 += " *"
				censored = true
			}
			row = append(row, rate, millis(f.p50), p99)
			if v := byName[t.versus]; v != nil {
				pct := "–"
				if base := summarize(res[v.name][s]).rate; base > 0 {
					pct = fmt.Sprintf("%.0f %%", 100*f.rate/base)
				}
				row = append(row, pct)
			}
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(row, " | "))
	}
	if censored {
		b.WriteString("\n\\* requests still running when a run ended had already run longer than this p99 (more than a tenth of the slowest 1 %): the real p99 is higher.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
