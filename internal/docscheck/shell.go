package docscheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Command is one simple command of a shell snippet: its leading variable
// assignments (NAME=value) and its words, quotes removed.
type Command struct {
	Line   int // in the Markdown file
	Assign map[string]string
	Words  []string
}

// Shell is what the shell snippets of one Markdown file do, read as one
// session in the order they appear (a reader runs them one after the
// other in one terminal).
type Shell struct {
	Commands []Command
	// Uses are the variables expanded ($NAME, ${NAME}), in order, with the
	// line and the index of the first command after the use.
	Uses []VarUse
}

// VarUse is one expansion of a variable.
type VarUse struct {
	Name    string
	Line    int
	Command int // index in Shell.Commands of the command it belongs to
}

// fence opens a fenced code block; group 1 is its info string.
var fence = regexp.MustCompile("^\\s*(```+|~~~+)\\s*([A-Za-z]*)")

// ParseShell reads the fenced blocks marked sh, bash, shell or console of
// a Markdown file as shell: backslash-newline continuations joined,
// comments dropped, commands split at unquoted newlines, ;, &, &&, ||, |,
// and command substitutions $(...) read as commands of their own.
func ParseShell(src []byte) Shell {
	var sh Shell
	lines := strings.Split(string(src), "\n")
	in, shell := "", false
	for i := 0; i < len(lines); i++ {
		m := fence.FindStringSubmatch(lines[i])
		if m != nil {
			switch {
			case in == "":
				in, shell = m[1], slices.Contains([]string{"sh", "bash", "shell", "console"}, m[2])
				continue
			case strings.HasPrefix(strings.TrimSpace(lines[i]), in):
				in = ""
				continue
			}
		}
		if in == "" || !shell {
			continue
		}
		start, text := i+1, lines[i]
		for strings.HasSuffix(text, "\\") && i+1 < len(lines) {
			i++
			text = strings.TrimSuffix(text, "\\") + " " + lines[i]
		}
		lexLine(&sh, start, text)
	}
	return sh
}

// lexLine splits one logical line into commands (appended to sh) and
// records its variable expansions.
func lexLine(sh *Shell, line int, text string) {
	var words []string
	var word strings.Builder
	inWord := false
	flushWord := func() {
		if inWord {
			words = append(words, word.String())
			word.Reset()
			inWord = false
		}
	}
	endCommand := func() {
		flushWord()
		if len(words) == 0 {
			return
		}
		c := Command{Line: line, Assign: map[string]string{}}
		i := 0
		for ; i < len(words); i++ {
			name, value, ok := strings.Cut(words[i], "=")
			if !ok || !isName(name) {
				break
			}
			c.Assign[name] = value
		}
		c.Words = words[i:]
		sh.Commands = append(sh.Commands, c)
		words = nil
	}
	use := func(rest string) { // at a '$': records the variable it expands, if any
		name := strings.TrimPrefix(rest[1:], "{")
		n := 0
		for n < len(name) && (name[n] == '_' || name[n] >= 'A' && name[n] <= 'Z' || name[n] >= 'a' && name[n] <= 'z' || n > 0 && name[n] >= '0' && name[n] <= '9') {
			n++
		}
		if n > 0 {
			sh.Uses = append(sh.Uses, VarUse{Name: name[:n], Line: line, Command: len(sh.Commands)})
		}
	}
	quote := byte(0)
	for i := 0; i < len(text); i++ {
		ch := text[i]
		switch {
		case quote == '\'':
			if ch == '\'' {
				quote = 0
			} else {
				word.WriteByte(ch)
			}
			continue
		case quote == '"':
			switch ch {
			case '"':
				quote = 0
			case '$':
				use(text[i:])
				word.WriteByte(ch)
			default:
				word.WriteByte(ch)
			}
			continue
		}
		switch {
		case ch == '\'' || ch == '"':
			quote, inWord = ch, true
		case ch == '#' && !inWord:
			endCommand()
			return
		case ch == ' ' || ch == '\t':
			flushWord()
		case ch == '$' && strings.HasPrefix(text[i:], "$("):
			// The assignment word before it stays a word: TOKEN=$(...).
			flushWord()
			endCommand()
			i++
		case ch == '$':
			use(text[i:])
			word.WriteByte(ch)
			inWord = true
		case ch == ')' || ch == ';' || ch == '&' || ch == '|':
			endCommand()
			if i+1 < len(text) && (text[i+1] == '&' || text[i+1] == '|') && ch != ')' && ch != ';' {
				i++
			}
		default:
			word.WriteByte(ch)
			inWord = true
		}
	}
	endCommand()
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r != '_' && (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// Flag is a command-line flag as its package defines it.
type Flag struct {
	// Default is the last string literal of the default's expression
	// ("localhost:8090"; ":8080" of env("OPENGATE_ADDR", ":8080")), ""
	// when it has none.
	Default string
	Bool    bool // takes no value
}

// Flags returns the command-line flags the Go package in dir defines
// (flag.String("addr", "localhost:8090", ...), fs.StringVar(&v, "addr",
// env("OPENGATE_ADDR", ":8080"), ...), fs.Bool, ...), by name. Test files
// are not read.
func Flags(dir string) (map[string]Flag, error) {
	files, err := goFiles(dir)
	if err != nil {
		return nil, err
	}
	flags := map[string]Flag{}
	nameArg := map[string]int{"String": 0, "Bool": 0, "Int": 0, "Int64": 0, "Uint": 0, "Float64": 0, "Duration": 0, "Func": 0, "BoolFunc": 0,
		"StringVar": 1, "BoolVar": 1, "IntVar": 1, "Int64Var": 1, "UintVar": 1, "Float64Var": 1, "DurationVar": 1, "Var": 1, "TextVar": 1}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			i, ok := nameArg[sel.Sel.Name]
			if !ok || len(call.Args) < i+2 {
				return true
			}
			lit, ok := call.Args[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			name, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			def := ""
			ast.Inspect(call.Args[i+1], func(n ast.Node) bool {
				if l, ok := n.(*ast.BasicLit); ok && l.Kind == token.STRING {
					if s, err := strconv.Unquote(l.Value); err == nil {
						def = s
					}
				}
				return true
			})
			flags[name] = Flag{Default: def, Bool: strings.HasPrefix(sel.Sel.Name, "Bool")}
			return true
		})
	}
	return flags, nil
}

// StringLiterals returns every string literal of the Go package in dir
// (test files not read).
func StringLiterals(dir string) (map[string]bool, error) {
	files, err := goFiles(dir)
	if err != nil {
		return nil, err
	}
	lits := map[string]bool{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if l, ok := n.(*ast.BasicLit); ok && l.Kind == token.STRING {
				if s, err := strconv.Unquote(l.Value); err == nil {
					lits[s] = true
				}
			}
			return true
		})
	}
	return lits, nil
}

// goFiles parses the non-test Go files of dir.
func goFiles(dir string) ([]*ast.File, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	var files []*ast.File
	fset := token.NewFileSet()
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no Go files", dir)
	}
	return files, nil
}

// wellKnown are variables a reader's shell has set.
var wellKnown = map[string]bool{"HOME": true, "PATH": true, "PWD": true, "USER": true, "TMPDIR": true}

// loopbackPort matches a loopback address with a port in a word.
var loopbackPort = regexp.MustCompile(`(?:localhost|127\.0\.0\.1|\[::1\]):(\d+)`)

// CheckShell checks that the shell snippets of the Markdown file at path,
// run in order from the module root root, can work as written:
//
//   - every variable expanded is set earlier (TOKEN=$(...) before
//     "$TOKEN"), or is one a shell has (HOME, PATH, ...);
//   - "go run ./pkg" names a main package of the module, passes only flags
//     that package defines, and sets before it (NAME=value go run ...) only
//     variables the package reads (a string literal of it, or for cmd/
//     binaries of cmd/internal/boot);
//   - every loopback address:port the snippets name — in URLs they call,
//     in flag values, and in the URL defaults of the flags of what they
//     run — is one something they start listens on: a "go run" on its
//     -addr (given, or the package's default), or "python3 -m http.server
//     PORT".
//
// It returns one line per problem, "path:line: ...", and an error when a
// file cannot be read.
func CheckShell(root, path string) ([]string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sh := ParseShell(src)
	rel := filepath.ToSlash(path)
	if r, err := filepath.Rel(root, path); err == nil {
		rel = filepath.ToSlash(r)
	}
	var problems []string
	problem := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s:%d: ", rel, line)+fmt.Sprintf(format, args...))
	}

	set := map[string]int{} // variable → index of the command setting it
	for i, c := range sh.Commands {
		for name := range c.Assign {
			if _, ok := set[name]; !ok {
				set[name] = i
			}
		}
	}
	for _, u := range sh.Uses {
		if i, ok := set[u.Name]; (!ok || i > u.Command) && !wellKnown[u.Name] {
			problem(u.Line, "$%s is used before it is set", u.Name)
		}
	}

	listening := map[string]bool{}
	type portUse struct {
		port string
		line int
		what string
	}
	var used []portUse
	for _, c := range sh.Commands {
		for _, w := range c.Words {
			for _, m := range loopbackPort.FindAllStringSubmatch(w, -1) {
				used = append(used, portUse{m[1], c.Line, w})
			}
		}
		if len(c.Words) >= 4 && strings.HasPrefix(c.Words[0], "python") && c.Words[1] == "-m" && c.Words[2] == "http.server" {
			listening[c.Words[3]] = true
		}
		if len(c.Words) < 3 || c.Words[0] != "go" || c.Words[1] != "run" {
			continue
		}
		pkg := c.Words[2]
		if !strings.HasPrefix(pkg, "./") {
			problem(c.Line, "go run %s: run a package of the module as ./path", pkg)
			continue
		}
		dir := filepath.Join(root, filepath.FromSlash(pkg))
		flags, err := Flags(dir)
		if err != nil {
			problem(c.Line, "go run %s: %v", pkg, err)
			continue
		}
		given := map[string]string{}
		args := c.Words[3:]
		for i := 0; i < len(args); i++ {
			a := args[i]
			if !strings.HasPrefix(a, "-") {
				continue
			}
			name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
			f, ok := flags[name]
			if !ok {
				problem(c.Line, "go run %s: no flag -%s (it has %s)", pkg, name, strings.Join(sortedKeys(flags), ", "))
				continue
			}
			if !hasValue && i+1 < len(args) && !f.Bool {
				value = args[i+1]
				i++
			}
			given[name] = value
		}
		if addr, ok := given["addr"]; ok {
			listening[port(addr)] = true
		} else if f, ok := flags["addr"]; ok {
			listening[port(f.Default)] = true
		}
		for name, f := range flags {
			def := f.Default
			if _, ok := given[name]; ok {
				continue
			}
			if m := loopbackPort.FindStringSubmatch(def); m != nil && strings.Contains(def, "://") {
				used = append(used, portUse{m[1], c.Line, fmt.Sprintf("%s (the default of %s's -%s)", def, pkg, name)})
			}
		}
		if len(c.Assign) > 0 {
			reads, err := StringLiterals(dir)
			if err != nil {
				problem(c.Line, "go run %s: %v", pkg, err)
				continue
			}
			if strings.HasPrefix(pkg, "./cmd/") {
				boot, err := StringLiterals(filepath.Join(root, "cmd", "internal", "boot"))
				if err == nil {
					for k := range boot {
						reads[k] = true
					}
				}
			}
			for name := range c.Assign {
				if !reads[name] {
					problem(c.Line, "go run %s: %s is set, but %s does not read it", pkg, name, pkg)
				}
			}
		}
	}
	for _, u := range used {
		if !listening[u.port] {
			problem(u.line, "%s: nothing the snippets start listens on port %s", u.what, u.port)
		}
	}
	return problems, nil
}

// port returns the port of a listen address (":8080", "localhost:8090").
func port(addr string) string {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return p
}

func sortedKeys(m map[string]Flag) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, "-"+k)
	}
	slices.Sort(keys)
	return keys
}
