// Package docscheck keeps the documentation honest: it finds the OPENGATE_*
// environment variables the binaries read, checks that a configuration
// reference names each of them, and checks that every relative link in a set
// of Markdown files resolves to an existing file and, when the link has a
// fragment, to a heading of that file; and it reads the shell snippets of
// a Markdown file as one session (CheckShell) to check that they can run
// as written: variables set before they are used, "go run" of packages
// that exist with flags they define and variables they read, and
// loopback ports that something the snippets start listens on.
//
// Its own test runs these checks over the repository (cmd/ and iam/iamtest
// against docs/configuration.md; README.md, examples/*/README.md and
// docs/**/*.md for links; README.md and examples/*/README.md for snippets),
// so a new variable without documentation, a link broken by a renamed file
// or heading, or a snippet using a flag that is gone, fails CI:
//
//	vars, err := docscheck.EnvVars("cmd", "iam/iamtest")
//	if err != nil {
//		return err
//	}
//	ref, err := os.ReadFile("docs/configuration.md")
//	if err != nil {
//		return err
//	}
//	for _, v := range docscheck.Undocumented(vars, ref) {
//		fmt.Println(v.Name, "is read at", v.Pos, "but not documented")
//	}
//	problems, err := docscheck.BrokenLinks("README.md", "docs/api.md")
package docscheck
