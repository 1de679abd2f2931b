// Package depcheck enforces OpenGate's dependency rules with `go list -deps`
// (its test is the whole package):
//
//   - a root service package (every package directly under the module root
//     except cmd, examples, internal and bench: iam, realms, users, rbac,
//     clients, auth, and those added later) never pulls pgx, franz-go,
//     rueidis, chi or Prometheus, directly or through another package;
//   - auth/authverify, which every resource server imports, depends only on
//     the standard library, jwx (with the golang.org/x/crypto packages it
//     uses), google/uuid and OpenGate's light packages listed in
//     verifierAllowed.
//
// A failure names the package and the forbidden dependency; the test logs
// each checked package's count of non-standard dependencies.
package depcheck
