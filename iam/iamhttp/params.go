package iamhttp

import (
	"net/http"
	"strconv"

	"github.com/opengate-iam/opengate/iam"
)

// Realm returns the validated {realm} path parameter (r.PathValue, which
// both http.ServeMux and chi set).
func Realm(r *http.Request) (iam.Realm, error) {
	return iam.ParseRealm(r.PathValue("realm"))
}

// Page holds Keycloak's paging parameters.
type Page struct {
	First int // offset, >= 0
	Max   int // limit, 1..cap
}

// ParsePage reads ?first= and ?max= with Keycloak's meaning: first defaults
// to 0, max to def and is capped at limit. Negative or non-numeric values are
// CodeInvalid naming the parameter.
func ParsePage(r *http.Request, def, limit int) (Page, error) {
	p := Page{First: 0, Max: def}
	q := r.URL.Query()
	if s := q.Get("first"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return Page{}, iam.Invalidf("first", "first must be a non-negative integer")
		}
		p.First = n
	}
	if s := q.Get("max"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return Page{}, iam.Invalidf("max", "max must be a non-negative integer")
		}
		if n > 0 {
			p.Max = n
		}
	}
	if p.Max > limit {
		p.Max = limit
	}
	return p, nil
}

// Bool parses an optional boolean query parameter: nil when absent,
// CodeInvalid when malformed.
func Bool(r *http.Request, name string) (*bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, iam.Invalidf(name, "%s must be true or false", name)
	}
	return &b, nil
}
