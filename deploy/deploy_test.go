package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v2"
)

// root is the module root, from this package's directory.
const root = ".."

// binary is what the test knows of one binary under cmd/, read from its
// source.
type binary struct {
	name       string
	port       string          // of boot.Binary's Addr, e.g. "8083"
	noDatabase bool            // boot.Binary's NoDatabase
	reads      map[string]bool // OPENGATE_* variables it may read
	required   map[string]string
}

// envLiteral is a string literal that is exactly a variable name;
// requiredLiteral starts an error saying one is required.
var (
	envLiteral      = regexp.MustCompile(`^OPENGATE_[A-Z0-9_]*[A-Z0-9]$`)
	requiredLiteral = regexp.MustCompile(`^(OPENGATE_[A-Z0-9_]*[A-Z0-9]) is required`)
)

// facts are what a function's body names: variable literals, "X is
// required" literals and the names it calls or selects.
type facts struct {
	vars, required, names map[string]bool
}

func newFacts() facts {
	return facts{vars: map[string]bool{}, required: map[string]bool{}, names: map[string]bool{}}
}

func (f facts) collect(n ast.Node) {
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BasicLit:
			if n.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(n.Value)
			if err != nil {
				return true
			}
			if envLiteral.MatchString(s) {
				f.vars[s] = true
			}
			if m := requiredLiteral.FindStringSubmatch(s); m != nil {
				f.required[m[1]] = true
			}
		case *ast.SelectorExpr:
			f.names[n.Sel.Name] = true
		case *ast.Ident:
			f.names[n.Name] = true
		}
		return true
	})
}

// parseDir parses the non-test Go files of dir.
func parseDir(t *testing.T, dir string) []*ast.File {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	fset := token.NewFileSet()
	for _, m := range matches {
		if strings.HasSuffix(m, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, m, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	return files
}

// bootFuncs maps each function and method of cmd/internal/boot, by name,
// to what its body names (methods of the same name are merged: the
// analysis may only overestimate what a binary reads).
func bootFuncs(t *testing.T) map[string]facts {
	t.Helper()
	funcs := map[string]facts{}
	for _, f := range parseDir(t, "cmd/internal/boot") {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			fs, ok := funcs[fd.Name.Name]
			if !ok {
				fs = newFacts()
				funcs[fd.Name.Name] = fs
			}
			fs.collect(fd.Body)
		}
	}
	return funcs
}

// loadBinary reads what cmd/name reads: the variable literals of its own
// package and of every boot function it names, transitively. A binary with
// NoDatabase does not read OPENGATE_POSTGRES_URL or OPENGATE_DATABASE_PREFIX
// although boot.Parse names them (it drops them for such binaries).
func loadBinary(t *testing.T, name string, boot map[string]facts) binary {
	t.Helper()
	b := binary{name: name, reads: map[string]bool{}, required: map[string]string{}}
	own := newFacts()
	for _, f := range parseDir(t, filepath.Join("cmd", name)) {
		own.collect(f)
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if sel, ok := lit.Type.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Binary" {
				return true
			}
			for _, e := range lit.Elts {
				kv, ok := e.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				switch key := kv.Key.(*ast.Ident).Name; key {
				case "Addr":
					s, _ := strconv.Unquote(kv.Value.(*ast.BasicLit).Value)
					b.port = strings.TrimPrefix(s, ":")
				case "NoDatabase":
					b.noDatabase = kv.Value.(*ast.Ident).Name == "true"
				}
			}
			return false
		})
	}
	if b.port == "" {
		t.Fatalf("cmd/%s: no boot.Binary with an Addr", name)
	}
	required := map[string]bool{}
	seen := map[string]bool{}
	queue := slices.Collect(func(yield func(string) bool) {
		for n := range own.names {
			if !yield(n) {
				return
			}
		}
	})
	for v := range own.vars {
		b.reads[v] = true
	}
	for v := range own.required {
		required[v] = true
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		fs, ok := boot[n]
		if !ok || seen[n] {
			continue
		}
		seen[n] = true
		for v := range fs.vars {
			b.reads[v] = true
		}
		for v := range fs.required {
			required[v] = true
		}
		for m := range fs.names {
			queue = append(queue, m)
		}
	}
	if b.noDatabase {
		for _, v := range []string{"OPENGATE_POSTGRES_URL", "OPENGATE_DATABASE_PREFIX"} {
			delete(b.reads, v)
			delete(required, v)
		}
	}
	for v := range required {
		b.required[v] = "the binary refuses to start without it"
	}
	// What a deployment needs besides: the internal APIs refuse every call
	// without the service token, a peer URL's default (localhost) is wrong
	// in a container, and without the password no administrator is created.
	for v := range b.reads {
		switch {
		case b.required[v] != "":
		case v == "OPENGATE_SERVICE_TOKEN":
			b.required[v] = "every /internal call is refused without it"
		case strings.HasSuffix(v, "_URL") && !notPeer[v]:
			b.required[v] = "its default is a localhost port"
		case v == "OPENGATE_ADMIN_PASSWORD":
			b.required[v] = "without it no administrator is created"
		}
	}
	return b
}

// notPeer are the *_URL variables that are not another service's address
// (the others default to a port on localhost).
var notPeer = map[string]bool{
	"OPENGATE_POSTGRES_URL": true, // required anyway where read
	"OPENGATE_REDIS_URL":    true, // likewise
	"OPENGATE_PUBLIC_URL":   true, // defaults to OPENGATE_ISSUER_BASE
}

// binaries returns every binary the deployment files run: each directory
// under cmd/ but the all-in-one and the shared internal packages.
func binaries(t *testing.T) map[string]binary {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	boot := bootFuncs(t)
	bins := map[string]binary{}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "internal" || e.Name() == "opengate" {
			continue
		}
		bins[e.Name()] = loadBinary(t, e.Name(), boot)
	}
	// The analysis must see what the docs say (a scan that found nothing
	// would pass every check below vacuously).
	for _, c := range []struct{ bin, v string }{
		{"realm-service", "OPENGATE_SECRET_KEY"},
		{"auth-service", "OPENGATE_SESSIONS_URL"},
		{"gateway", "OPENGATE_AUTH_URL"},
		{"notification-service", "OPENGATE_SMTP_HOST"},
	} {
		if !bins[c.bin].reads[c.v] {
			t.Fatalf("the analysis says %s does not read %s; it reads %v", c.bin, c.v, keys(bins[c.bin].reads))
		}
	}
	for _, c := range []struct{ bin, v string }{
		{"rbac-service", "OPENGATE_SECRET_KEY"},
		{"session-service", "OPENGATE_POSTGRES_URL"},
		{"gateway", "OPENGATE_SMTP_HOST"},
	} {
		if bins[c.bin].reads[c.v] {
			t.Fatalf("the analysis says %s reads %s, which it does not", c.bin, c.v)
		}
	}
	for _, c := range []struct{ bin, v string }{
		{"realm-service", "OPENGATE_SECRET_KEY"},
		{"user-service", "OPENGATE_KAFKA_BROKERS"},
		{"gateway", "OPENGATE_REDIS_URL"},
	} {
		if bins[c.bin].required[c.v] == "" {
			t.Fatalf("the analysis says %s does not require %s", c.bin, c.v)
		}
	}
	if bins["gateway"].required["OPENGATE_KAFKA_BROKERS"] != "" {
		t.Fatal("the analysis says the gateway requires OPENGATE_KAFKA_BROKERS, which is optional there")
	}
	return bins
}

func keys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// container is one process of a deployment file, as the checks see it.
type container struct {
	where   string // "compose.yaml auth-service"
	binary  string
	env     []string
	migrate bool // a -migrate-only run
}

// checkEnv reports variables c sets that its binary does not read, and
// variables the binary requires that c does not set.
func checkEnv(t *testing.T, c container, b binary) {
	t.Helper()
	set := map[string]bool{}
	for _, v := range c.env {
		set[v] = true
		if !b.reads[v] {
			t.Errorf("%s sets %s, which %s does not read", c.where, v, b.name)
		}
	}
	if c.migrate {
		if !set["OPENGATE_POSTGRES_URL"] {
			t.Errorf("%s: -migrate-only without OPENGATE_POSTGRES_URL", c.where)
		}
		return
	}
	for _, v := range keys(b.required) {
		if !set[v] {
			t.Errorf("%s does not set %s (%s)", c.where, v, b.required[v])
		}
	}
}

func readYAML(t *testing.T, path string) []map[any]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	var docs []map[any]any
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc map[any]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return docs
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
}

// get walks m by keys; it returns nil where a key is missing.
func get(v any, path ...any) any {
	for _, k := range path {
		switch x := v.(type) {
		case map[any]any:
			v = x[k]
		case []any:
			i, ok := k.(int)
			if !ok || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func TestComposeMatchesTheBinaries(t *testing.T) {
	bins := binaries(t)
	compose := readYAML(t, "deploy/compose.yaml")[0]
	services, _ := compose["services"].(map[any]any)
	found := map[string]bool{}
	for name, svc := range services {
		bin := str(get(svc, "build", "args", "BINARY"))
		if bin == "" {
			continue // PostgreSQL, Redis, Kafka, Mailpit
		}
		b, ok := bins[bin]
		if !ok {
			t.Errorf("compose service %v builds %q, which is not a binary under cmd/", name, bin)
			continue
		}
		found[bin] = true
		env, _ := get(svc, "environment").(map[any]any)
		c := container{where: fmt.Sprintf("compose.yaml %v", name), binary: bin}
		for k := range env {
			c.env = append(c.env, str(k))
		}
		checkEnv(t, c, b)

		test, _ := get(svc, "healthcheck", "test").([]any)
		if len(test) != 3 || str(test[1]) != "/usr/local/bin/healthcheck" {
			t.Errorf("%s: healthcheck %v, want [CMD /usr/local/bin/healthcheck URL]", c.where, test)
			continue
		}
		u, err := url.Parse(str(test[2]))
		if err != nil || u.Port() != b.port || u.Path != "/readyz" {
			t.Errorf("%s: healthcheck on %s, want http://localhost:%s/readyz (the binary's port)", c.where, test[2], b.port)
		}
	}
	for name := range bins {
		if !found[name] {
			t.Errorf("compose.yaml runs no %s", name)
		}
	}
	ports, _ := get(services["gateway"], "ports").([]any)
	if len(ports) != 1 || !strings.HasSuffix(str(ports[0]), ":"+bins["gateway"].port) {
		t.Errorf("compose.yaml publishes the gateway's %v, want its port %s", ports, bins["gateway"].port)
	}
}

func TestKustomizeBaseMatchesTheBinaries(t *testing.T) {
	bins := binaries(t)
	kust := readYAML(t, "deploy/k8s/kustomization.yaml")[0]
	resources, _ := kust["resources"].([]any)
	deployments, services := map[string]bool{}, map[string]bool{}
	for _, r := range resources {
		for _, doc := range readYAML(t, filepath.Join("deploy/k8s", str(r))) {
			name := str(get(doc, "metadata", "name"))
			switch kind := str(doc["kind"]); kind {
			case "Deployment":
				b, ok := bins[name]
				if !ok {
					t.Errorf("Deployment %s is not a binary under cmd/", name)
					continue
				}
				deployments[name] = true
				checkPod(t, name, get(doc, "spec", "template", "spec"), b)
			case "Service":
				b, ok := bins[name]
				if !ok {
					continue
				}
				services[name] = true
				if p := get(doc, "spec", "ports", 0); str(get(p, "port")) != b.port || str(get(p, "targetPort")) != "http" {
					t.Errorf("Service %s: port %v → %v, want %s → http", name, get(p, "port"), get(p, "targetPort"), b.port)
				}
			}
		}
	}
	for name := range bins {
		if !deployments[name] || !services[name] {
			t.Errorf("deploy/k8s has no Deployment and Service for %s", name)
		}
	}
}

// checkPod checks a Deployment's pod spec against its binary: the image,
// the environment, the port and probes of the container, and the
// -migrate-only init container of a binary with a database.
func checkPod(t *testing.T, name string, spec any, b binary) {
	t.Helper()
	containers, _ := get(spec, "containers").([]any)
	if len(containers) != 1 {
		t.Fatalf("Deployment %s: %d containers, want 1", name, len(containers))
	}
	envOf := func(c any) []string {
		var names []string
		list, _ := get(c, "env").([]any)
		for _, e := range list {
			names = append(names, str(get(e, "name")))
		}
		if get(c, "envFrom") != nil {
			t.Errorf("Deployment %s: envFrom sets variables the binary may not read; name each one", name)
		}
		return names
	}
	c := containers[0]
	if img := str(get(c, "image")); img != "opengate/"+name {
		t.Errorf("Deployment %s runs image %q, want opengate/%s", name, img, name)
	}
	checkEnv(t, container{where: "Deployment " + name, binary: name, env: envOf(c)}, b)
	if p := get(c, "ports", 0); str(get(p, "name")) != "http" || str(get(p, "containerPort")) != b.port {
		t.Errorf("Deployment %s: port %v %v, want http %s", name, get(p, "name"), get(p, "containerPort"), b.port)
	}
	for probe, path := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
		get := get(c, probe, "httpGet")
		if p, _ := get.(map[any]any); str(p["path"]) != path || str(p["port"]) != "http" {
			t.Errorf("Deployment %s: %s %v, want GET %s on http", name, probe, get, path)
		}
	}
	if get(c, "resources", "requests", "memory") == nil || get(c, "resources", "limits", "memory") == nil {
		t.Errorf("Deployment %s: no memory request and limit", name)
	}
	inits, _ := get(spec, "initContainers").([]any)
	migrates := 0
	for _, ic := range inits {
		args, _ := get(ic, "args").([]any)
		if !slices.ContainsFunc(args, func(a any) bool { return str(a) == "-migrate-only" }) {
			continue
		}
		migrates++
		if b.noDatabase {
			t.Errorf("Deployment %s: -migrate-only, but %s has no database (no such flag)", name, name)
		}
		if img := str(get(ic, "image")); img != "opengate/"+name {
			t.Errorf("Deployment %s: migration image %q, want opengate/%s", name, img, name)
		}
		checkEnv(t, container{where: "Deployment " + name + " migrate", binary: name, env: envOf(ic), migrate: true}, b)
	}
	if !b.noDatabase && migrates != 1 {
		t.Errorf("Deployment %s: %d -migrate-only init containers, want 1", name, migrates)
	}
}

// TestProbePathsAreServed checks that the paths the probes ask are the ones
// the binaries' router serves.
func TestProbePathsAreServed(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(root, "internal/routing/router.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{`"/healthz"`, `"/readyz"`} {
		if !bytes.Contains(src, []byte(p)) {
			t.Errorf("internal/routing/router.go no longer names %s, which the probes ask", p)
		}
	}
}
