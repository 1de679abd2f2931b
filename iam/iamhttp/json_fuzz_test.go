package iamhttp_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// fuzzBody has the kinds of fields request bodies have: strings, numbers,
// optional booleans, lists, attribute maps and nested objects.
type fuzzBody struct {
	Name       string              `json:"name"`
	Count      int                 `json:"count"`
	Enabled    *bool               `json:"enabled"`
	Tags       []string            `json:"tags"`
	Attributes map[string][]string `json:"attributes"`
	Nested     *struct {
		Value uint16 `json:"value"`
	} `json:"nested"`
}

// fuzzLimit is the body limit under fuzzing: small, so that CodeTooLarge is
// reached too.
const fuzzLimit = 512

// FuzzDecode checks DecodeLimit on arbitrary bodies and content types: it
// never panics; every refusal is an *iam.Error whose code maps to a 4xx
// status (CodeInvalid, or CodeTooLarge for a body over the limit); and an
// accepted body decodes to a value that, encoded again and decoded, is the
// same value.
func FuzzDecode(f *testing.F) {
	for _, s := range [][2]string{
		{`{"name":"a","count":1,"enabled":true,"tags":["x"],"attributes":{"k":["v"]},"nested":{"value":7}}`, "application/json"},
		{`{"name":"a"}`, "application/json; charset=utf-8"},
		{`{"name":"a"}`, ""},
		{`{"name":"a"}`, "text/plain"},
		{`{"name":1}`, "application/json"},
		{`{"nested":{"value":70000}}`, "application/json"},
		{`{"unknown":1}`, "application/json"},
		{`{"name":"a"} {"name":"b"}`, "application/json"},
		{`{"name":"a"`, "application/json"},
		{``, "application/json"},
		{`null`, "application/json"},
		{`[]`, "application/json"},
		{`{"name":"` + strings.Repeat("x", fuzzLimit) + `"}`, "application/json"},
	} {
		f.Add([]byte(s[0]), s[1])
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		var v fuzzBody
		err := iamhttp.DecodeLimit(httptest.NewRecorder(), r, &v, fuzzLimit)
		if err != nil {
			var e *iam.Error
			if !errors.As(err, &e) {
				t.Fatalf("DecodeLimit(%q) error %T %v, want *iam.Error", body, err, err)
			}
			if status := iamhttp.Status(e.Code); status < 400 || status > 499 {
				t.Fatalf("DecodeLimit(%q) error code %s → %d, want a 4xx", body, e.Code, status)
			}
			if e.Code == iam.CodeTooLarge && len(body) <= fuzzLimit {
				t.Fatalf("DecodeLimit(%q): too large at %d bytes, limit %d", body, len(body), fuzzLimit)
			}
			return
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", v, err)
		}
		var w fuzzBody
		if err := json.Unmarshal(again, &w); err != nil || !reflect.DeepEqual(v, w) {
			t.Fatalf("round trip of %q: %+v → %s → %+v (%v)", body, v, again, w, err)
		}
	})
}
