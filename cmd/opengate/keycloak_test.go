package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam/iamtest"
)

// TestKeycloakAdminClient drives the admin API with the official, unmodified
// @keycloak/keycloak-admin-client (Node.js): realms, users, credentials,
// realm and client roles, composites, role mappings, clients and secrets,
// groups (tree, members, role mappings, moves, counts), brute-force status,
// a user holding only view-users, a whole realm imported (its unimplemented
// fields round-tripping), partialImport and partial export — each step
// asserting what Keycloak would answer; then, configured as for Keycloak 16 and older (/auth in its base
// URL), against the binary with OPENGATE_HTTP_RELATIVE_PATH=/auth.
// It needs node and npm (and the npm registry for the first install).
func TestKeycloakAdminClient(t *testing.T) {
	node, nodeErr := exec.LookPath("node")
	npm, npmErr := exec.LookPath("npm")
	if nodeErr != nil || npmErr != nil {
		if os.Getenv(iamtest.EnvRequire) == "1" {
			t.Fatalf("node and npm are required with %s=1", iamtest.EnvRequire)
		}
		t.Skip("node and npm are not installed")
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "keycloak-admin-client"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@keycloak", "keycloak-admin-client")); err != nil {
		install := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		install.Dir = dir
		if out, err := install.CombinedOutput(); err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
	}

	s := start(t, map[string]string{"OPENGATE_ADMIN_PASSWORD": "Admin-passw0rd-kc"})
	runScript(ctx, t, node, dir, "admin-client.mjs", s.URL, s.password)

	// As configured for Keycloak 16 and older: /auth in the base URL.
	legacy := start(t, map[string]string{"OPENGATE_ADMIN_PASSWORD": "Admin-passw0rd-kc", "OPENGATE_HTTP_RELATIVE_PATH": "/auth"})
	runScript(ctx, t, node, dir, "relative-path.mjs", legacy.URL+"/auth", legacy.password)
}

// runScript runs the admin client's script in dir against base with the
// admin's password, failing the test unless every step passed.
func runScript(ctx context.Context, t *testing.T, node, dir, script, base, password string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BASE="+base, "PW="+password)
	out, err := cmd.CombinedOutput()
	t.Logf("%s: %s", script, out)
	if err != nil || !strings.Contains(string(out), "all steps passed") {
		t.Fatalf("the Keycloak admin client (%s) failed against OpenGate: %v", script, err)
	}
}
