package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestExitStatusFollowsTheAnswers(t *testing.T) {
	ready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ready.Close()
	starting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"startup":"starting"}`, http.StatusServiceUnavailable)
	}))
	defer starting.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	for _, tc := range []struct {
		name   string
		urls   []string
		status int
		stderr string
	}{
		{"every URL answers 200", []string{ready.URL, ready.URL}, 0, ""},
		{"a 503 fails", []string{ready.URL, starting.URL}, 1, "status 503"},
		{"nothing listening fails", []string{closed.URL}, 1, "connection refused"},
		{"no URL is a usage error", nil, 2, "usage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr strings.Builder
			if got := run(tc.urls, &stderr); got != tc.status {
				t.Errorf("status %d, want %d (stderr %q)", got, tc.status, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr %q, want it to contain %q", stderr.String(), tc.stderr)
			}
		})
	}
}
