package docscheck_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/opengate-iam/opengate/internal/docscheck"
)

// root is the module root, from this package's directory.
const root = "../.."

// envDirs hold the code that reads OPENGATE_* variables: the binaries and
// their shared plumbing, and the test infrastructure.
var envDirs = []string{"cmd", "iam/iamtest"}

// configReference is the document that must name every variable.
const configReference = "docs/configuration.md"

func TestEveryEnvironmentVariableIsDocumented(t *testing.T) {
	vars := repoEnvVars(t)
	ref, err := os.ReadFile(filepath.Join(root, configReference))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range docscheck.Undocumented(vars, ref) {
		t.Errorf("%s (read at %s) is not in %s: add it to the table of the binary that reads it", v.Name, v.Pos, configReference)
	}
}

func TestConfigurationReferenceNamesOnlyVariablesThatAreRead(t *testing.T) {
	read := map[string]bool{}
	for _, v := range repoEnvVars(t) {
		read[v.Name] = true
	}
	ref, err := os.ReadFile(filepath.Join(root, configReference))
	if err != nil {
		t.Fatal(err)
	}
	for name := range docscheck.Mentioned(ref) {
		if !read[name] {
			t.Errorf("%s names %s, which no binary reads (under %v): remove it or mark where it is read", configReference, name, envDirs)
		}
	}
}

func TestEveryRelativeLinkResolves(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(root, "examples", "*", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(root, "README.md"))
	err = filepath.WalkDir(filepath.Join(root, "docs"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == ".md" {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("no Markdown files under docs/: %v", files)
	}
	problems, err := docscheck.BrokenLinks(files...)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

func repoEnvVars(t *testing.T) []docscheck.Var {
	t.Helper()
	var dirs []string
	for _, d := range envDirs {
		dirs = append(dirs, filepath.Join(root, d))
	}
	vars, err := docscheck.EnvVars(dirs...)
	if err != nil {
		t.Fatal(err)
	}
	// A scan that finds nothing would pass vacuously: the binaries read at
	// least these.
	for _, want := range []string{"OPENGATE_POSTGRES_URL", "OPENGATE_REDIS_URL", "OPENGATE_SECRET_KEY", "OPENGATE_TEST_REQUIRE"} {
		found := false
		for _, v := range vars {
			found = found || v.Name == want
		}
		if !found {
			t.Fatalf("the scan of %v did not find %s; found %v", envDirs, want, vars)
		}
	}
	return vars
}

// TestREADMESnippetsRunAsWritten checks the shell snippets of the README
// and of every example's README (CheckShell): variables set before use,
// packages, flags and variables that exist, ports something listens on.
// Every example has a README whose snippets run it.
func TestREADMESnippetsRunAsWritten(t *testing.T) {
	files := []string{filepath.Join(root, "README.md")}
	examples, err := filepath.Glob(filepath.Join(root, "examples", "*", "main.go"))
	if err != nil || len(examples) < 4 {
		t.Fatalf("examples: %v %v", examples, err)
	}
	for _, main := range examples {
		dir := filepath.Dir(main)
		readme := filepath.Join(dir, "README.md")
		src, err := os.ReadFile(readme)
		if err != nil {
			t.Errorf("%s has no README.md: %v", dir, err)
			continue
		}
		runs := false
		for _, c := range docscheck.ParseShell(src).Commands {
			runs = runs || len(c.Words) >= 3 && c.Words[0] == "go" && c.Words[1] == "run" && c.Words[2] == "./examples/"+filepath.Base(dir)
		}
		if !runs {
			t.Errorf("%s: no snippet runs go run ./examples/%s", readme, filepath.Base(dir))
		}
		files = append(files, readme)
	}
	for _, f := range files {
		problems, err := docscheck.CheckShell(root, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Error(p)
		}
	}
}
