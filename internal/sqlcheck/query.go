package sqlcheck

import (
	"regexp"
	"strings"
)

// query is one statement of a queries file.
type query struct {
	name string
	sql  string
}

var nameRe = regexp.MustCompile(`(?m)^\s*--\s*name:\s*(\S+)`)

// splitQueries splits a sqlc queries file at its "-- name:" markers; a file
// without markers is split at semicolons.
func splitQueries(src string) []query {
	locs := nameRe.FindAllStringSubmatchIndex(src, -1)
	if len(locs) == 0 {
		var out []query
		for _, stmt := range strings.Split(stripSQL(src), ";") {
			if strings.TrimSpace(stmt) != "" {
				out = append(out, query{name: firstWords(stmt), sql: stmt})
			}
		}
		return out
	}
	out := make([]query, 0, len(locs))
	for i, loc := range locs {
		end := len(src)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		out = append(out, query{name: src[loc[2]:loc[3]], sql: src[loc[1]:end]})
	}
	return out
}

func firstWords(s string) string {
	f := strings.Fields(s)
	if len(f) > 4 {
		f = f[:4]
	}
	return strings.Join(f, " ")
}

// stripSQL blanks out comments and string literals (keeping length and
// newlines), so that "realm_name" in a comment or a string does not count.
func stripSQL(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '-' && i+1 < len(b) && b[i+1] == '-':
			for ; i < len(b) && b[i] != '\n'; i++ {
				b[i] = ' '
			}
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '*':
			for ; i < len(b) && !(b[i] == '*' && i+1 < len(b) && b[i+1] == '/'); i++ {
				if b[i] != '\n' {
					b[i] = ' '
				}
			}
			if i+1 < len(b) {
				b[i], b[i+1] = ' ', ' '
				i++
			}
		case b[i] == '\'':
			b[i] = ' '
			for i++; i < len(b); i++ {
				if b[i] == '\'' {
					if i+1 < len(b) && b[i+1] == '\'' {
						b[i], b[i+1] = ' ', ' '
						i++
						continue
					}
					b[i] = ' '
					break
				}
				if b[i] != '\n' {
					b[i] = ' '
				}
			}
		}
	}
	return string(b)
}

var (
	// tableRefRe finds the first table after FROM, JOIN, UPDATE, INTO,
	// USING; tableListRe the further ones of a comma list after FROM.
	tableRefRe = regexp.MustCompile(`\b(from|join|update|into|using)\s+(?:only\s+)?("?[a-z_][a-z0-9_.]*"?)`)
	wordRe     = regexp.MustCompile(`[a-z_][a-z0-9_]*`)
	// clauseRe finds the keywords that end a FROM list.
	clauseRe = regexp.MustCompile(`\b(where|join|on|group|order|limit|offset|for|returning|union|having|window)\b`)
	// predicateRe finds the keywords that open a predicate.
	predicateRe = regexp.MustCompile(`\b(where|on)\b`)
	insertRe    = regexp.MustCompile(`\binsert\s+into\s+"?[a-z_][a-z0-9_.]*"?\s*\(([^)]*)\)`)
)

// checkQuery returns why sql violates the rule, or "".
func (s *schema) checkQuery(sql string) string {
	clean := strings.ToLower(stripSQL(sql))
	var scoped []string
	for _, t := range s.referencedTables(clean) {
		if s.scoped[t] && !s.global[t] {
			scoped = append(scoped, t)
		}
	}
	if len(scoped) == 0 {
		return ""
	}
	tables := strings.Join(scoped, ", ")
	if loc := insertRe.FindStringSubmatchIndex(clean); loc != nil {
		// INSERT: the rows must carry their realm, and a SELECT feeding
		// them from a realm-scoped table must filter by realm.
		if !realmNameRe.MatchString(clean[loc[2]:loc[3]]) {
			return "inserts into realm-scoped " + tables + " without a realm_name column"
		}
		source := clean[loc[1]:]
		for _, t := range s.referencedTables(source) {
			if s.scoped[t] && !s.global[t] && !predicateHasRealmName(source) {
				return "inserts rows selected from realm-scoped " + t + " without realm_name in a WHERE or ON clause"
			}
		}
		return ""
	}
	if !predicateHasRealmName(clean) {
		return "reads or writes realm-scoped " + tables + " without realm_name in a WHERE or ON clause"
	}
	return ""
}

// referencedTables lists the table names after FROM (including comma
// lists), JOIN, UPDATE, INTO and USING.
func (s *schema) referencedTables(clean string) []string {
	var out []string
	for _, loc := range tableRefRe.FindAllStringSubmatchIndex(clean, -1) {
		out = append(out, tableName(clean[loc[4]:loc[5]]))
		if clean[loc[2]:loc[3]] != "from" {
			continue
		}
		// FROM a [AS] x, b [AS] y, ...: follow the commas.
		rest := clean[loc[5]:]
		for {
			comma := strings.IndexByte(rest, ',')
			stop := strings.IndexAny(rest, "()")
			kw := clauseRe.FindStringIndex(rest)
			if comma < 0 || (stop >= 0 && stop < comma) || (kw != nil && kw[0] < comma) {
				break
			}
			rest = rest[comma+1:]
			w := wordRe.FindString(rest)
			if w == "" {
				break
			}
			out = append(out, tableName(w))
		}
	}
	return out
}

// predicateHasRealmName reports whether realm_name appears after a WHERE or
// ON keyword.
func predicateHasRealmName(clean string) bool {
	first := predicateRe.FindStringIndex(clean)
	if first == nil {
		return false
	}
	return realmNameRe.MatchString(clean[first[0]:])
}
