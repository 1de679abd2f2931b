// Package docscheck keeps the documentation honest: it finds the OPENGATE_*
// environment variables the binaries read, checks that a configuration
// reference names each of them, and checks that every relative link in a set
// of Markdown files resolves to an existing file and, when the link has a
// fragment, to a heading of that file.
//
// Its own test runs these checks over the repository (cmd/ and iam/iamtest
// against docs/configuration.md; README.md and docs/**/*.md for links), so a
// new variable without documentation, or a link broken by a renamed file or
// heading, fails CI:
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
