package iamhttp

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/opengate-iam/opengate/iam"
)

// MaxBodyBytes is the default request body limit of Decode.
const MaxBodyBytes = 1 << 20

// Decode reads one JSON value from r's body into v. The body is limited to
// MaxBodyBytes (CodeTooLarge beyond it), unknown fields and trailing data are
// rejected, and every decoding failure is a CodeInvalid error naming the
// problem (and the field, when known) without echoing the input.
func Decode(w http.ResponseWriter, r *http.Request, v any) error {
	return DecodeLimit(w, r, v, MaxBodyBytes)
}

// DecodeLimit is Decode with an explicit body limit in bytes.
func DecodeLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return &iam.Error{Code: iam.CodeInvalid, Message: "Content-Type must be application/json"}
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return decodeError(err)
		}
		return &iam.Error{Code: iam.CodeInvalid, Message: "request body must hold a single JSON value"}
	}
	return nil
}

func decodeError(err error) error {
	var (
		tooLarge  *http.MaxBytesError
		syntax    *json.SyntaxError
		typeError *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooLarge):
		return &iam.Error{Code: iam.CodeTooLarge, Message: "request body is too large", Err: err}
	case errors.Is(err, io.EOF):
		return &iam.Error{Code: iam.CodeInvalid, Message: "request body is empty", Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &syntax):
		return &iam.Error{Code: iam.CodeInvalid, Message: "request body is not valid JSON", Err: err}
	case errors.As(err, &typeError):
		return &iam.Error{Code: iam.CodeInvalid, Field: typeError.Field,
			Message: "field " + quote(typeError.Field) + " must be " + typeError.Type.String(), Err: err}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &iam.Error{Code: iam.CodeInvalid, Field: field, Message: "unknown field " + quote(field), Err: err}
	default:
		return &iam.Error{Code: iam.CodeInvalid, Message: "request body could not be decoded", Err: err}
	}
}

func quote(s string) string { return `"` + s + `"` }

// JSON writes v as JSON with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

// Created answers 201 with a Location header naming the request's path
// joined with id as an absolute URL (Location: BaseURL, the relative path
// included), as Keycloak's admin API does (clients read the new id from its
// last segment).
func Created(w http.ResponseWriter, r *http.Request, id string) {
	w.Header().Set("Location", Location(r, strings.TrimSuffix(r.URL.Path, "/")+"/"+id))
	w.WriteHeader(http.StatusCreated)
}

// CreatedWith answers 201 as Created does, with v as the JSON body (a
// report of what the creation did).
func CreatedWith(w http.ResponseWriter, r *http.Request, id string, v any) {
	w.Header().Set("Location", Location(r, strings.TrimSuffix(r.URL.Path, "/")+"/"+id))
	JSON(w, http.StatusCreated, v)
}

// NoContent answers 204.
func NoContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }
