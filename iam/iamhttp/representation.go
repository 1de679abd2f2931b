package iamhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/opengate-iam/opengate/iam"
)

// DecodeRepresentation reads a Keycloak representation — one JSON object —
// from r's body into v, a pointer to the struct of the fields OpenGate
// implements, as Keycloak's JSON mapper (Jackson) reads it:
//
//   - a field of v's struct gets its value coerced to the field's Go type
//     where Jackson coerces: a string to a bool ("false"), an integer
//     ("3025") or a float, "" to null for pointer (optional) fields, and a
//     number or bool to a string; the same inside maps, slices and nested
//     structs. Anything else not of the field's type is CodeInvalid naming
//     the field, as Decode;
//   - a field v does not have but keycloak(field) reports as Keycloak's is
//     returned in Extra, verbatim (JSON null values are dropped: Keycloak
//     reads null as absent);
//   - any other field is CodeInvalid naming it (typo protection), as are a
//     body that is not a JSON object and trailing data. Field names match
//     exactly (Jackson's are case-sensitive).
//
// The body limit, Content-Type check and errors are Decode's.
func DecodeRepresentation(w http.ResponseWriter, r *http.Request, v any, keycloak func(field string) bool) (iam.Extra, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return nil, &iam.Error{Code: iam.CodeInvalid, Message: "Content-Type must be application/json"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil {
		var typeError *json.UnmarshalTypeError
		if errors.As(err, &typeError) {
			return nil, &iam.Error{Code: iam.CodeInvalid, Message: "request body must be a JSON object", Err: err}
		}
		return nil, decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, decodeError(err)
		}
		return nil, &iam.Error{Code: iam.CodeInvalid, Message: "request body must hold a single JSON value"}
	}
	if obj == nil {
		return nil, &iam.Error{Code: iam.CodeInvalid, Message: "request body must be a JSON object"}
	}
	return splitRepresentation(obj, v, keycloak)
}

// ParseRepresentation is DecodeRepresentation for a representation already
// read: raw must be one JSON object (a section of a larger body, as the
// users of a realm import, or an internal answer). The coercions, Extra and
// errors are DecodeRepresentation's; the caller bounds raw's size.
func ParseRepresentation(raw json.RawMessage, v any, keycloak func(field string) bool) (iam.Extra, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, &iam.Error{Code: iam.CodeInvalid, Message: "a representation must be a JSON object", Err: err}
	}
	return splitRepresentation(obj, v, keycloak)
}

// splitRepresentation decodes obj's fields of v's struct into v (coerced)
// and returns Keycloak's other fields.
func splitRepresentation(obj map[string]json.RawMessage, v any, keycloak func(string) bool) (iam.Extra, error) {
	fields := jsonFields(reflect.TypeOf(v).Elem())
	own := make(map[string]json.RawMessage, len(obj))
	var extra iam.Extra
	// Sorted, so that the field an error names does not vary.
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		raw := obj[k]
		if t, ok := fields[k]; ok {
			own[k] = coerce(raw, t)
			continue
		}
		if !keycloak(k) {
			return nil, &iam.Error{Code: iam.CodeInvalid, Field: k, Message: "unknown field " + quote(k)}
		}
		if isNull(raw) {
			continue
		}
		if extra == nil {
			extra = iam.Extra{}
		}
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return nil, decodeError(err)
		}
		extra[k] = b.Bytes()
	}
	b, err := json.Marshal(own)
	if err != nil {
		return nil, decodeError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, decodeError(err)
	}
	return extra, nil
}

// jsonFields returns the JSON names of struct t's exported fields and
// their types (embedded structs flattened, "-" skipped).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			maps.Copy(out, jsonFields(f.Type))
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// coerce returns raw converted where Jackson converts a JSON scalar to a
// field of type t; raw unchanged where it does not (the strict decoding
// that follows reports a mismatch).
func coerce(raw json.RawMessage, t reflect.Type) json.RawMessage {
	optional := false
	for t.Kind() == reflect.Pointer {
		t, optional = t.Elem(), true
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || isNull(raw) {
		return raw
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		if raw[0] != '"' {
			return raw
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return raw
		}
		s = strings.TrimSpace(s)
		if s == "" && optional {
			return json.RawMessage("null")
		}
		switch t.Kind() {
		case reflect.Bool:
			switch {
			case strings.EqualFold(s, "true"):
				return json.RawMessage("true")
			case strings.EqualFold(s, "false"):
				return json.RawMessage("false")
			}
		case reflect.Float32, reflect.Float64:
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				return strconv.AppendFloat(nil, f, 'g', -1, 64)
			}
		default:
			if _, err := strconv.ParseInt(s, 10, 64); err == nil {
				return json.RawMessage(s)
			}
			if _, err := strconv.ParseUint(s, 10, 64); err == nil {
				return json.RawMessage(s)
			}
		}
		return raw
	case reflect.String:
		if raw[0] == '"' || raw[0] == '{' || raw[0] == '[' {
			return raw
		}
		// A number or a bool: its text.
		b, _ := json.Marshal(string(raw))
		return b
	case reflect.Map:
		if raw[0] != '{' || t.Key().Kind() != reflect.String {
			return raw
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return raw
		}
		for k, v := range m {
			m[k] = coerce(v, t.Elem())
		}
		b, err := json.Marshal(m)
		if err != nil {
			return raw
		}
		return b
	case reflect.Slice, reflect.Array:
		if raw[0] != '[' || t.Elem().Kind() == reflect.Uint8 {
			return raw
		}
		var a []json.RawMessage
		if json.Unmarshal(raw, &a) != nil {
			return raw
		}
		for i, v := range a {
			a[i] = coerce(v, t.Elem())
		}
		b, err := json.Marshal(a)
		if err != nil {
			return raw
		}
		return b
	case reflect.Struct:
		if raw[0] != '{' {
			return raw
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return raw
		}
		fields := jsonFields(t)
		for k, v := range m {
			if ft, ok := fields[k]; ok {
				m[k] = coerce(v, ft)
			}
		}
		b, err := json.Marshal(m)
		if err != nil {
			return raw
		}
		return b
	}
	return raw
}

// WithExtra returns v (a struct, or a pointer to one, marshalling to a JSON
// object) to be marshalled with extra's fields added: the representation a
// DecodeRepresentation's Extra was split from, made whole again. A field
// of v's struct is never taken from extra, even when v omits it.
func WithExtra(v any, extra iam.Extra) any {
	if len(extra) == 0 {
		return v
	}
	return withExtra{v: v, extra: extra}
}

type withExtra struct {
	v     any
	extra iam.Extra
}

// MarshalJSON marshals v and adds the extra fields its struct does not have.
func (w withExtra) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(w.v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	t := reflect.TypeOf(w.v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	fields := jsonFields(t)
	for k, raw := range w.extra {
		if _, own := fields[k]; !own {
			m[k] = raw
		}
	}
	return json.Marshal(m)
}
