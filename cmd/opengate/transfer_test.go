package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// opengate runs the command with args on env and returns its stdout.
func opengateCmd(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, func(k string) string { return env[k] }, &stdout, &stderr); err != nil {
		t.Fatalf("opengate %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// canonical is an export with what a new deployment makes anew left out:
// role ids (rbac's own), credential ids and dates; lists of named objects
// sorted by name.
func canonical(t *testing.T, raw string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	var walk func(x any) any
	walk = func(x any) any {
		switch x := x.(type) {
		case map[string]any:
			if _, isRole := x["clientRole"]; isRole {
				delete(x, "id")
			}
			if x["type"] == "password" {
				delete(x, "id")
				delete(x, "createdDate")
			}
			for k, v := range x {
				x[k] = walk(v)
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
			slices.SortFunc(x, func(a, b any) int {
				key := func(v any) string {
					m, _ := v.(map[string]any)
					for _, k := range []string{"clientId", "username", "name"} {
						if s, ok := m[k].(string); ok {
							return s
						}
					}
					s, _ := v.(string)
					return s
				}
				return strings.Compare(key(a), key(b))
			})
		}
		return x
	}
	return walk(v).(map[string]any)
}

// opengate import of opengate export's file gives the same realm: users
// with their passwords (hashes), clients with their secrets, roles, groups
// and memberships — and its users log in with their passwords (issue 15,
// offline moves).
func TestExportImportRoundTripOnPostgreSQL(t *testing.T) {
	src := productionEnv(t)
	report := opengateCmd(t, src, "import", filepath.Join("..", "..", "testdata", "keycloak", "testrealm.json"))
	if !strings.Contains(report, `"realm": "test"`) || !strings.Contains(report, `"notImported"`) {
		t.Fatalf("import report = %s", report)
	}
	exported := opengateCmd(t, src, "export", "-realm", "test")
	for _, want := range []string{`"secret":"password"`, `"secretData"`, `"/topGroup/level2group"`, `"realmRoles":["admin"]`} {
		if !strings.Contains(exported, want) {
			t.Errorf("the export lacks %s", want)
		}
	}
	file := filepath.Join(t.TempDir(), "test.json")
	if err := os.WriteFile(file, []byte(exported), 0o600); err != nil {
		t.Fatal(err)
	}
	dst := productionEnv(t)
	if report := opengateCmd(t, dst, "import", file); !strings.Contains(report, `"users": 7`) {
		t.Fatalf("import of the export = %s", report)
	}
	again := opengateCmd(t, dst, "export", "-realm", "test")
	if a, b := canonical(t, exported), canonical(t, again); !reflect.DeepEqual(a, b) {
		for k := range a {
			if !reflect.DeepEqual(a[k], b[k]) {
				ja, _ := json.Marshal(a[k])
				jb, _ := json.Marshal(b[k])
				t.Errorf("%s differs:\n first: %s\nsecond: %s", k, ja, jb)
			}
		}
		for k := range b {
			if _, ok := a[k]; !ok {
				t.Errorf("%s appeared", k)
			}
		}
	}

	s := start(t, dst)
	if tok := s.token(t, "test", "admin-cli", "rolerichuser", "password"); tok == "" {
		t.Fatal("no token")
	}
}

func TestTransferCommandLine(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"ExportWithoutRealm", []string{"export"}, nil, "needs -realm"},
		{"ImportWithoutFile", []string{"import"}, nil, "needs one FILE"},
		{"InMemory", []string{"export", "-realm", "x"}, map[string]string{}, "set OPENGATE_POSTGRES_URL"},
		{"WithoutKey", []string{"import", "x.json"}, map[string]string{"OPENGATE_POSTGRES_URL": "postgres://127.0.0.1:1/x"}, "OPENGATE_SECRET_KEY is required"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), c.args, func(k string) string { return c.env[k] }, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
		})
	}
}
