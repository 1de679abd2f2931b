package docscheck_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/internal/docscheck"
)

func TestParseShell(t *testing.T) {
	src := "text $NOT_SHELL\n```go\nx := \"$NOT_SHELL_EITHER\"\n```\n```sh\n" +
		"TOKEN=$(curl -s -d 'a=$LITERAL' \\\n  http://localhost:8080/t | jq -r .x)   # a comment with $COMMENTED\n" +
		"curl -H \"Authorization: Bearer $TOKEN\" http://localhost:8080/api && echo ${DONE}; A=1 go run ./x -addr :1 &\n```\n"
	sh := docscheck.ParseShell([]byte(src))
	var cmds []string
	for _, c := range sh.Commands {
		var assign []string
		for k, v := range c.Assign {
			assign = append(assign, k+"="+v)
		}
		slices.Sort(assign)
		cmds = append(cmds, strings.Join(append(assign, c.Words...), " "))
	}
	want := []string{"TOKEN=", "curl -s -d a=$LITERAL http://localhost:8080/t", "jq -r .x",
		"curl -H Authorization: Bearer $TOKEN http://localhost:8080/api", "echo ${DONE}", "A=1 go run ./x -addr :1"}
	if !slices.Equal(cmds, want) {
		t.Fatalf("commands:\n%q\nwant\n%q", cmds, want)
	}
	var uses []string
	for _, u := range sh.Uses {
		uses = append(uses, u.Name)
	}
	if !slices.Equal(uses, []string{"TOKEN", "DONE"}) {
		t.Fatalf("uses = %v, want TOKEN and DONE (single quotes, comments and other blocks expand nothing)", uses)
	}
	if sh.Commands[1].Line != 6 || sh.Commands[3].Line != 8 {
		t.Errorf("lines %d and %d, want 6 and 8", sh.Commands[1].Line, sh.Commands[3].Line)
	}
}

// app is a main package with the flags of the examples.
const app = `package main

import ("flag"; "os")

func env(k, def string) string { if v := os.Getenv(k); v != "" { return v }; return def }

func main() {
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	_ = fs.String("addr", "localhost:8092", "listen address")
	_ = fs.String("opengate", "http://localhost:8080", "OpenGate")
	var v bool
	fs.BoolVar(&v, "verbose", false, "more")
	_ = os.Getenv("PASSWORD")
}
`

const server = `package main

import "flag"

var addr string

func main() { flag.StringVar(&addr, "addr", env("OPENGATE_ADDR", ":8080"), "listen address") }

func env(k, def string) string { return def }
`

func TestCheckShell(t *testing.T) {
	tests := []struct {
		name   string
		readme string
		want   []string // substrings of the problems, in order; none for a snippet that works
	}{
		{"WorkingSnippets", "```sh\ngo run ./cmd/server &\n```\nthen\n```sh\n" +
			"TOKEN=$(curl -s http://localhost:8080/token | jq -r .t)\nPASSWORD=pw go run ./app -verbose -addr 127.0.0.1:9100 &\n" +
			"curl -s http://127.0.0.1:9100/api -H \"Authorization: Bearer $TOKEN\"\n```\n", nil},
		{"VariableUsedBeforeItIsSet", "```sh\ngo run ./cmd/server &\ncurl -H \"Authorization: Bearer $TOKEN\" localhost:8080\n" +
			"TOKEN=x\n```\n", []string{"README.md:3: $TOKEN is used before it is set"}},
		{"VariableNeverSet", "```sh\necho \"${SECRET}\" $HOME\n```\n", []string{"README.md:2: $SECRET is used before it is set"}},
		{"UnknownFlag", "```sh\ngo run ./cmd/server &\ngo run ./app -listen :1 -verbose\n```\n", []string{"no flag -listen"}},
		{"NotAPackageOfTheModule", "```sh\ngo run ./nowhere\n```\n", []string{"go run ./nowhere"}},
		{"VariableTheProgramDoesNotRead", "```sh\ngo run ./cmd/server &\nISSUER=x go run ./app\n```\n", []string{"ISSUER is set, but ./app does not read it"}},
		{"PortNothingListensOn", "```sh\ngo run ./cmd/server &\ncurl -s http://localhost:8090/api\n```\n",
			[]string{"README.md:3: http://localhost:8090/api: nothing the snippets start listens on port 8090"}},
		{"DefaultURLOfAFlagNobodyServes", "```sh\ngo run ./app\n```\n",
			[]string{"the default of ./app's -opengate): nothing the snippets start listens on port 8080"}},
		{"FlagValueOnAPortNobodyServes", "```sh\ngo run ./cmd/server &\ngo run ./app -opengate http://localhost:9999\n```\n",
			[]string{"localhost:9999: nothing the snippets start listens on port 9999"}},
		{"PythonServerListens", "```sh\ngo run ./cmd/server &\npython3 -m http.server 9000 &\ncurl localhost:9000/x\n```\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := write(t, map[string]string{"app/main.go": app, "cmd/server/main.go": server, "README.md": tt.readme})
			problems, err := docscheck.CheckShell(dir, filepath.Join(dir, "README.md"))
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != len(tt.want) {
				t.Fatalf("problems %q, want %d like %q", problems, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(problems[i], w) {
					t.Errorf("problem %q does not say %q", problems[i], w)
				}
			}
		})
	}
}

func TestFlags(t *testing.T) {
	dir := write(t, map[string]string{"main.go": server + "\nvar _ = flag.Bool(\"migrate-only\", false, \"\")\n",
		"main_test.go": "package main\nimport \"flag\"\nvar _ = flag.String(\"test-only\", \"\", \"\")\n"})
	flags, err := docscheck.Flags(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(flags) != 2 || flags["addr"].Default != ":8080" || flags["addr"].Bool || !flags["migrate-only"].Bool {
		t.Fatalf("flags = %+v", flags)
	}
}
