package docscheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// envName is the whole of a string literal that names an OpenGate
// environment variable.
var envName = regexp.MustCompile(`^OPENGATE_[A-Z0-9_]*[A-Z0-9]$`)

// Var is an environment variable found in Go source.
type Var struct {
	Name string // e.g. "OPENGATE_REDIS_URL"
	Pos  string // where it first appears: "cmd/auth-service/run.go:63"
}

// EnvVars returns, sorted by name, every OPENGATE_* variable named by a Go
// string literal that is exactly a variable name ("OPENGATE_REDIS_URL", not
// "OPENGATE_REDIS_URL is required") in the non-test .go files under dirs
// (recursively; testdata directories are skipped). Such a literal is how a
// binary reads a variable — getenv("OPENGATE_X"), env("OPENGATE_X", def), a
// constant passed to either — so the result is what the binaries read. It
// fails when a directory cannot be walked or a file does not parse.
func EnvVars(dirs ...string) ([]Var, error) {
	first := map[string]string{}
	fset := token.NewFileSet()
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == "testdata" {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil || !envName.MatchString(s) {
					return true
				}
				if _, seen := first[s]; !seen {
					p := fset.Position(lit.Pos())
					first[s] = filepath.ToSlash(p.Filename) + ":" + strconv.Itoa(p.Line)
				}
				return true
			})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	vars := make([]Var, 0, len(first))
	for name, pos := range first {
		vars = append(vars, Var{Name: name, Pos: pos})
	}
	slices.SortFunc(vars, func(a, b Var) int { return strings.Compare(a.Name, b.Name) })
	return vars, nil
}

// Undocumented returns the vars that doc does not name as a whole word:
// OPENGATE_REDIS does not document OPENGATE_REDIS_URL, nor the reverse.
func Undocumented(vars []Var, doc []byte) []Var {
	named := Mentioned(doc)
	var missing []Var
	for _, v := range vars {
		if !named[v.Name] {
			missing = append(missing, v)
		}
	}
	return missing
}

// mention is an OPENGATE_* word in prose.
var mention = regexp.MustCompile(`\bOPENGATE_[A-Z0-9_]*[A-Z0-9]\b`)

// Mentioned returns the set of OPENGATE_* names doc mentions.
func Mentioned(doc []byte) map[string]bool {
	named := map[string]bool{}
	for _, m := range mention.FindAll(doc, -1) {
		named[string(m)] = true
	}
	return named
}
