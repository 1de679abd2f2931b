package sqlcheck

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
)

// GlobalTables are tables that are not realm-scoped although they may have a
// realm_name column: the realms themselves (keyed by name) and iampg's
// outbox and processed_events, which serve every realm.
func GlobalTables() []string {
	return []string{"realms", "outbox", "processed_events"}
}

// Problem is one violation, named by file and (for queries) query name.
type Problem struct {
	File   string // path in the checked file system
	Query  string // the sqlc query name, or the statement's first words
	Reason string
}

// String renders the problem for a test failure.
func (p Problem) String() string {
	if p.Query == "" {
		return p.File + ": " + p.Reason
	}
	return p.File + ": " + p.Query + ": " + p.Reason
}

// Result is what Check found.
type Result struct {
	Problems    []Problem
	QueryFiles  int // queries/*.sql files read
	Queries     int // statements checked
	RealmTables []string
}

// Check reads every migrations/*.sql and queries/*.sql file in fsys
// (skipping hidden directories, vendor and testdata) and reports queries on
// realm-scoped tables without realm_name in their predicate, and tables that
// are neither realm-scoped nor declared global.
func Check(fsys fs.FS) (Result, error) {
	var migrationFiles, queryFiles []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != "." && (strings.HasPrefix(name, ".") || name == "vendor" || name == "testdata" || name == "node_modules") {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".sql") {
			return nil
		}
		switch path.Base(path.Dir(p)) {
		case "migrations":
			migrationFiles = append(migrationFiles, p)
		case "queries":
			queryFiles = append(queryFiles, p)
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	sort.Strings(migrationFiles)
	sort.Strings(queryFiles)

	schema := newSchema()
	for _, p := range migrationFiles {
		raw, err := fs.ReadFile(fsys, p)
		if err != nil {
			return Result{}, err
		}
		schema.learn(p, string(raw))
	}
	res := Result{QueryFiles: len(queryFiles)}
	res.Problems = schema.undeclared()
	for name, scoped := range schema.scoped {
		if scoped && !schema.global[name] {
			res.RealmTables = append(res.RealmTables, name)
		}
	}
	sort.Strings(res.RealmTables)
	for _, p := range queryFiles {
		raw, err := fs.ReadFile(fsys, p)
		if err != nil {
			return Result{}, err
		}
		for _, q := range splitQueries(string(raw)) {
			res.Queries++
			if reason := schema.checkQuery(q.sql); reason != "" {
				res.Problems = append(res.Problems, Problem{File: p, Query: q.name, Reason: reason})
			}
		}
	}
	return res, nil
}

// schema is what the migrations say about tables.
type schema struct {
	scoped  map[string]bool   // table or view → has realm_name
	global  map[string]bool   // declared global
	definer map[string]string // table → migration file that created it
}

func newSchema() *schema {
	s := &schema{scoped: map[string]bool{}, global: map[string]bool{}, definer: map[string]string{}}
	for _, t := range GlobalTables() {
		s.global[t] = true
	}
	return s
}

var (
	createTableRe  = regexp.MustCompile(`(?is)\bcreate\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?([a-z_][a-z0-9_.]*)\s*\(`)
	createViewRe   = regexp.MustCompile(`(?is)\bcreate\s+(?:or\s+replace\s+)?(?:materialized\s+)?view\s+(?:if\s+not\s+exists\s+)?([a-z_][a-z0-9_.]*)\s+as\b`)
	addRealmNameRe = regexp.MustCompile(`(?is)\balter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?([a-z_][a-z0-9_.]*)\s+add\s+(?:column\s+)?(?:if\s+not\s+exists\s+)?realm_name\b`)
	globalMarkRe   = regexp.MustCompile(`(?im)--\s*sqlcheck:global\s+([a-z_][a-z0-9_., ]*)`)
	realmNameRe    = regexp.MustCompile(`\brealm_name\b`)
)

// learn records the tables a migration creates, and global declarations.
// Only the "create" part of a tern migration (above "---- create above /
// drop below ----") counts.
func (s *schema) learn(file, sql string) {
	if i := strings.Index(sql, "---- create above"); i >= 0 {
		sql = sql[:i]
	}
	for _, m := range globalMarkRe.FindAllStringSubmatch(sql, -1) {
		for _, t := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ',' || r == ' ' }) {
			s.global[tableName(t)] = true
		}
	}
	clean := strings.ToLower(stripSQL(sql))
	for _, loc := range createTableRe.FindAllStringSubmatchIndex(clean, -1) {
		name := tableName(clean[loc[2]:loc[3]])
		body := parenthesized(clean, loc[1]-1)
		s.scoped[name] = s.scoped[name] || realmNameRe.MatchString(body)
		s.definer[name] = file
	}
	for _, loc := range createViewRe.FindAllStringSubmatchIndex(clean, -1) {
		name := tableName(clean[loc[2]:loc[3]])
		body := clean[loc[1]:]
		if i := strings.Index(body, ";"); i >= 0 {
			body = body[:i]
		}
		s.scoped[name] = s.scoped[name] || realmNameRe.MatchString(body)
		s.definer[name] = file
	}
	for _, m := range addRealmNameRe.FindAllStringSubmatch(clean, -1) {
		s.scoped[tableName(m[1])] = true
	}
}

// undeclared reports tables that have no realm_name and are not declared
// global.
func (s *schema) undeclared() []Problem {
	var out []Problem
	for name, scoped := range s.scoped {
		if !scoped && !s.global[name] {
			out = append(out, Problem{File: s.definer[name], Reason: fmt.Sprintf(
				"table %s has no realm_name column: add one, or declare it global with a comment \"-- sqlcheck:global %s\"", name, name)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Reason < out[j].Reason })
	return out
}

// tableName drops a schema qualifier and quotes.
func tableName(s string) string {
	s = strings.Trim(strings.ToLower(s), `"`)
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// parenthesized returns the text inside the parenthesis opening at open.
func parenthesized(s string, open int) string {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return s[open+1 : i]
			}
		}
	}
	return s[open:]
}
