package iam

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
)

// Extra holds the fields of a Keycloak representation that OpenGate keeps
// without implementing them: each value is the field's JSON as the caller
// sent it, stored and returned verbatim so that a GET after a PUT gives back
// what was sent (Terraform-style read-back). Keys are the representation's
// JSON field names; a nil or empty Extra holds nothing. Extra never holds a
// field OpenGate implements, nor a JSON null.
type Extra map[string]json.RawMessage

// Clone returns a deep copy of e (nil for an empty e), so that a store's
// copy shares nothing with its caller's.
func (e Extra) Clone() Extra {
	if len(e) == 0 {
		return nil
	}
	out := make(Extra, len(e))
	for k, v := range e {
		out[k] = slices.Clone(v)
	}
	return out
}

// Merge returns a copy of e with the fields of u set over it, as a Keycloak
// PUT changes what it sends and keeps the rest (nil for an empty result).
func (e Extra) Merge(u Extra) Extra {
	out := e.Clone()
	if len(u) == 0 {
		return out
	}
	if out == nil {
		out = make(Extra, len(u))
	}
	maps.Copy(out, u.Clone())
	return out
}

// Equal reports whether e and o hold the same fields with equal JSON
// values (spacing and the order of object keys aside, as a PostgreSQL
// jsonb column changes them; numbers compared as float64).
func (e Extra) Equal(o Extra) bool {
	return maps.EqualFunc(e, o, func(a, b json.RawMessage) bool {
		var va, vb any
		if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
			return string(a) == string(b)
		}
		return reflect.DeepEqual(va, vb)
	})
}
