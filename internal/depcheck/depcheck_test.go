package depcheck_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/opengate-iam/opengate"

// forbiddenInRoot are the technology modules no root service package may
// depend on.
var forbiddenInRoot = []string{
	"github.com/jackc/",          // pgx
	"github.com/twmb/",           // franz-go
	"github.com/redis/",          // rueidis
	"github.com/go-chi/",         // chi
	"github.com/prometheus/",     // Prometheus
	"google.golang.org/protobuf", // Prometheus's wire format
	"github.com/lestrrat-go/",    // jwx: verifiers only
	"github.com/ory/",            // dockertest: tests only
	"github.com/coreos/",         // go-oidc: tests only
	module + "/cmd/",             // binaries
	module + "/internal/",        // module internals
}

// notRootServices are the directories under the module root that hold no
// root service package.
var notRootServices = map[string]bool{"cmd": true, "examples": true, "internal": true, "bench": true}

// verifierAllowed are the import-path prefixes auth/authverify may depend
// on besides the standard library.
var verifierAllowed = []string{
	"github.com/lestrrat-go/",
	"golang.org/x/crypto/",
	"github.com/google/uuid",
	module + "/iam",          // the shared kernel, exactly
	module + "/iam/iamhttp",  // light: standard library and iam only
	module + "/auth/authjwt", // the verification policy: standard library and iam only
	module + "/auth/authverify",
}

// goList runs go list with args and returns its output lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, ee.Stderr)
		}
		t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
	}
	return strings.Fields(string(out))
}

// nonStandardDeps returns the non-standard packages pkg depends on,
// itself included.
func nonStandardDeps(t *testing.T, pkg string) []string {
	t.Helper()
	return goList(t, "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg)
}

// rootServices returns the import paths of the root service packages.
func rootServices(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, p := range goList(t, module+"/...") {
		rest, ok := strings.CutPrefix(p, module+"/")
		if !ok || strings.Contains(rest, "/") || notRootServices[rest] {
			continue
		}
		out = append(out, p)
	}
	return out
}

func TestRootServicePackagesPullNoTechnology(t *testing.T) {
	pkgs := rootServices(t)
	for _, want := range []string{"iam", "realms", "users", "rbac", "clients", "auth"} {
		if !contains(pkgs, module+"/"+want) {
			t.Fatalf("root service packages %v miss %s: the scan is broken", pkgs, want)
		}
	}
	for _, pkg := range pkgs {
		t.Run(strings.TrimPrefix(pkg, module+"/"), func(t *testing.T) {
			deps := nonStandardDeps(t, pkg)
			t.Logf("%s: %d non-standard packages", pkg, len(deps))
			for _, d := range deps {
				for _, bad := range forbiddenInRoot {
					if strings.HasPrefix(d, bad) {
						t.Errorf("%s depends on %s (forbidden in root service packages: %s)", pkg, d, bad)
					}
				}
			}
		})
	}
}

func TestAuthverifyDependsOnlyOnLightPackages(t *testing.T) {
	pkg := module + "/auth/authverify"
	deps := nonStandardDeps(t, pkg)
	t.Logf("%s: %d non-standard packages", pkg, len(deps))
	for _, d := range deps {
		if !allowed(d) {
			t.Errorf("%s depends on %s, which is not in verifierAllowed", pkg, d)
		}
	}
}

// allowed reports whether authverify may depend on d. Module packages must
// match an entry exactly; others by prefix.
func allowed(d string) bool {
	for _, a := range verifierAllowed {
		if strings.HasPrefix(a, module) {
			if d == a {
				return true
			}
			continue
		}
		if strings.HasPrefix(d, a) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
