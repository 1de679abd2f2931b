package docscheck_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/internal/docscheck"
)

// write creates the files (path → content) under a new temporary directory
// and returns it.
func write(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func names(vars []docscheck.Var) []string {
	var n []string
	for _, v := range vars {
		n = append(n, v.Name)
	}
	return n
}

func TestEnvVars(t *testing.T) {
	dir := write(t, map[string]string{
		"cmd/a/run.go": `package main

const keyVar = "OPENGATE_SECRET_KEY"

func parse(getenv func(string) string) {
	_ = getenv("OPENGATE_REDIS_URL")
	_ = env("OPENGATE_ADDR", ":8080")
	_ = getenv(keyVar)
	_ = "OPENGATE_POSTGRES_URL is required" // a message, not a name
	_ = "OPENGATE_"                          // a prefix, not a name
	_ = getenv("OTHER_VAR")
}
`,
		"cmd/a/run_test.go":       `package main; var _ = "OPENGATE_ONLY_IN_TESTS"`,
		"cmd/a/testdata/x.go":     `package x; var _ = "OPENGATE_IN_TESTDATA"`,
		"cmd/internal/boot/b.go":  "package boot\nvar _ = `OPENGATE_RAW_STRING`",
		"cmd/internal/boot/c.txt": `"OPENGATE_NOT_GO"`,
	})
	vars, err := docscheck.EnvVars(filepath.Join(dir, "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"OPENGATE_ADDR", "OPENGATE_RAW_STRING", "OPENGATE_REDIS_URL", "OPENGATE_SECRET_KEY"}
	if got := names(vars); !slices.Equal(got, want) {
		t.Fatalf("EnvVars = %v, want %v", got, want)
	}
	if pos := vars[2].Pos; !strings.HasSuffix(pos, "cmd/a/run.go:6") {
		t.Errorf("position of OPENGATE_REDIS_URL = %q, want .../cmd/a/run.go:6", pos)
	}

	t.Run("UnparsableFile", func(t *testing.T) {
		dir := write(t, map[string]string{"cmd/bad.go": "package main\nfunc {"})
		if _, err := docscheck.EnvVars(dir); err == nil {
			t.Fatal("no error for a file that does not parse")
		}
	})
	t.Run("MissingDirectory", func(t *testing.T) {
		if _, err := docscheck.EnvVars(filepath.Join(t.TempDir(), "nope")); err == nil {
			t.Fatal("no error for a missing directory")
		}
	})
}

func TestUndocumented(t *testing.T) {
	vars := []docscheck.Var{{Name: "OPENGATE_REDIS_URL"}, {Name: "OPENGATE_REDIS"}, {Name: "OPENGATE_ADDR"}, {Name: "OPENGATE_KEY"}}
	doc := []byte("| `OPENGATE_REDIS_URL` | Redis |\nOPENGATE_ADDR: the address. OPENGATE_KEY_ROTATION rotates.\n")
	got := names(docscheck.Undocumented(vars, doc))
	// OPENGATE_REDIS is only a prefix of a documented name, OPENGATE_KEY of
	// another: neither is documented.
	if want := []string{"OPENGATE_REDIS", "OPENGATE_KEY"}; !slices.Equal(got, want) {
		t.Fatalf("Undocumented = %v, want %v", got, want)
	}
}

func TestAnchors(t *testing.T) {
	doc := "# OpenGate IAM\n" +
		"## Verifying tokens (`authverify`)\n" +
		"## realm-service (`cmd/realm-service`, :8083)\n" +
		"## Redirect URIs (RFC 9700, RFC 8252)\n" +
		"### Internal API\n" +
		"### Internal API\n" +
		"## See [the API](api.md) — now\n" +
		"#hashtag is not a heading\n" +
		"```sh\n# a shell comment, not a heading\n```\n"
	got := docscheck.Anchors([]byte(doc))
	for _, want := range []string{"opengate-iam", "verifying-tokens-authverify", "realm-service-cmdrealm-service-8083",
		"redirect-uris-rfc-9700-rfc-8252", "internal-api", "internal-api-1", "see-the-api--now"} {
		if !got[want] {
			t.Errorf("no anchor %q in %v", want, got)
		}
	}
	for _, unwanted := range []string{"hashtag-is-not-a-heading", "a-shell-comment-not-a-heading"} {
		if got[unwanted] {
			t.Errorf("anchor %q from a line that is not a heading", unwanted)
		}
	}
}

func TestBrokenLinks(t *testing.T) {
	dir := write(t, map[string]string{
		"README.md": "# Top\n" +
			"[ok](docs/a.md) [ok anchor](docs/a.md#second-part) [ok self](#top) [web](https://example.com/x.md)\n" +
			"[missing file](docs/nope.md)\n" +
			"[missing anchor](docs/a.md#nowhere)\n" +
			"[missing self anchor](#bottom)\n" +
			"`[in a code span](docs/nope.md)`\n" +
			"```\n[in a code block](docs/nope.md)\n```\n" +
			"![image](docs/missing.png)\n" +
			"[directory](docs/)\n",
		"docs/a.md": "# A\n## Second part\n[up](../README.md#top) [broken up](../README.md#gone)\n",
	})
	problems, err := docscheck.BrokenLinks(filepath.Join(dir, "README.md"), filepath.Join(dir, "docs", "a.md"))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range problems {
		problems[i] = strings.TrimPrefix(filepath.ToSlash(p), filepath.ToSlash(dir)+"/")
	}
	want := []string{
		"README.md:3: docs/nope.md: no such file",
		"README.md:4: docs/a.md#nowhere: no heading with anchor #nowhere",
		"README.md:5: #bottom: no heading with anchor #bottom",
		"README.md:10: docs/missing.png: no such file",
		"docs/a.md:3: ../README.md#gone: no heading with anchor #gone",
	}
	if !slices.Equal(problems, want) {
		t.Fatalf("BrokenLinks =\n%s\nwant\n%s", strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}

	t.Run("MissingFile", func(t *testing.T) {
		if _, err := docscheck.BrokenLinks(filepath.Join(t.TempDir(), "README.md")); err == nil {
			t.Fatal("no error for a file that does not exist")
		}
	})
}
