package iamhttp_test

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// rep stands for a representation: the fields OpenGate implements.
type rep struct {
	Enabled  *bool              `json:"enabled,omitempty"`
	Port     *int               `json:"port,omitempty"`
	Ratio    float64            `json:"ratio,omitempty"`
	Name     *string            `json:"name,omitempty"`
	Settings *map[string]string `json:"settings,omitempty"`
	Counts   []int              `json:"counts,omitempty"`
	Nested   *nested            `json:"nested,omitempty"`
}

type nested struct {
	On bool `json:"on"`
}

// keycloakField stands for kcrep.Has: the representation's fields plus two
// OpenGate does not implement.
func keycloakField(f string) bool {
	switch f {
	case "enabled", "port", "ratio", "name", "settings", "counts", "nested", "sslRequired", "browserSecurityHeaders":
		return true
	}
	return false
}

func decodeRep(t *testing.T, body string) (rep, iam.Extra, error) {
	t.Helper()
	var v rep
	r := httptest.NewRequest("PUT", "/", strings.NewReader(body))
	extra, err := iamhttp.DecodeRepresentation(httptest.NewRecorder(), r, &v, keycloakField)
	return v, extra, err
}

func ptrTo[T any](v T) *T { return &v }

func TestDecodeRepresentationCoercesKeycloakScalars(t *testing.T) {
	for _, c := range []struct {
		name, body string
		want       rep
	}{
		{"BoolFromString", `{"enabled":"false"}`, rep{Enabled: ptrTo(false)}},
		{"BoolFromStringAnyCase", `{"enabled":"TRUE"}`, rep{Enabled: ptrTo(true)}},
		{"IntFromString", `{"port":"3025"}`, rep{Port: ptrTo(3025)}},
		{"FloatFromString", `{"ratio":"0.5"}`, rep{Ratio: 0.5}},
		{"EmptyStringIsAbsentForOptional", `{"port":"","enabled":""}`, rep{}},
		{"StringFromNumber", `{"name":42}`, rep{Name: ptrTo("42")}},
		{"StringFromBool", `{"name":true}`, rep{Name: ptrTo("true")}},
		{"MapValuesToStrings", `{"settings":{"port":3025,"ssl":false,"host":"h"}}`,
			rep{Settings: &map[string]string{"port": "3025", "ssl": "false", "host": "h"}}},
		{"SliceElements", `{"counts":["1",2]}`, rep{Counts: []int{1, 2}}},
		{"NestedStructFields", `{"nested":{"on":"true"}}`, rep{Nested: &nested{On: true}}},
		{"NativeTypesUnchanged", `{"enabled":true,"port":25,"name":"n"}`, rep{Enabled: ptrTo(true), Port: ptrTo(25), Name: ptrTo("n")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, extra, err := decodeRep(t, c.body)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("decoded %+v, want %+v", got, c.want)
			}
			if extra != nil {
				t.Errorf("extra = %v, want none", extra)
			}
		})
	}
}

func TestDecodeRepresentationKeepsKeycloakFieldsAside(t *testing.T) {
	got, extra, err := decodeRep(t, `{"enabled":true,"sslRequired":"external","browserSecurityHeaders":{ "xFrameOptions" : "DENY" }}`)
	if err != nil {
		t.Fatal(err)
	}
	if got.Enabled == nil || !*got.Enabled {
		t.Errorf("enabled not decoded: %+v", got)
	}
	want := iam.Extra{"sslRequired": json.RawMessage(`"external"`), "browserSecurityHeaders": json.RawMessage(`{"xFrameOptions":"DENY"}`)}
	if !extra.Equal(want) {
		t.Errorf("extra = %s, want %s", extra, want)
	}
	_, extra, err = decodeRep(t, `{"sslRequired":null}`)
	if err != nil || extra != nil {
		t.Errorf("a null Keycloak field: extra %v, err %v; want none (null is absent)", extra, err)
	}
}

func TestDecodeRepresentationRefuses(t *testing.T) {
	for _, c := range []struct {
		name, body, field, message string
	}{
		{"TypoNamed", `{"enabeld":true}`, "enabeld", `unknown field "enabeld"`},
		{"FieldNamesAreCaseSensitive", `{"Enabled":true}`, "Enabled", `unknown field "Enabled"`},
		{"FirstTypoInNameOrder", `{"zz":1,"aa":2}`, "aa", `unknown field "aa"`},
		{"UncoercibleString", `{"enabled":"maybe"}`, "enabled", "must be"},
		{"NonNumericString", `{"port":"25x"}`, "port", "must be"},
		{"ObjectForScalar", `{"port":{}}`, "port", "must be"},
		{"UnknownNestedField", `{"nested":{"off":true}}`, "off", `unknown field "off"`},
		{"NotAnObject", `[1]`, "", "must be a JSON object"},
		{"Null", `null`, "", "must be a JSON object"},
		{"TrailingData", `{} {}`, "", "single JSON value"},
		{"NotJSON", `{"a":`, "", "not valid JSON"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := decodeRep(t, c.body)
			var e *iam.Error
			if !errors.As(err, &e) || e.Code != iam.CodeInvalid {
				t.Fatalf("err = %v, want CodeInvalid", err)
			}
			if e.Field != c.field || !strings.Contains(e.Message, c.message) {
				t.Errorf("field %q message %q, want field %q and a message with %q", e.Field, e.Message, c.field, c.message)
			}
		})
	}
}

func TestWithExtraMergesKeycloakFieldsBack(t *testing.T) {
	v := rep{Enabled: ptrTo(true)}
	b, err := json.Marshal(iamhttp.WithExtra(v, iam.Extra{
		"sslRequired": json.RawMessage(`"none"`),
		// A field the struct has (say, implemented since it was stored):
		// the struct's value wins, even when omitted.
		"port": json.RawMessage(`99`),
	}))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"enabled": true, "sslRequired": "none"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %s, want %v", b, want)
	}
	if b, _ := json.Marshal(iamhttp.WithExtra(v, nil)); string(b) != `{"enabled":true}` {
		t.Errorf("without extra: %s", b)
	}
}

// ParseRepresentation reads a representation already read (a section of a
// larger body) as DecodeRepresentation reads a request's.
func TestParseRepresentationIsDecodeRepresentationOnBytes(t *testing.T) {
	var v rep
	extra, err := iamhttp.ParseRepresentation(json.RawMessage(`{"port":"3025","sslRequired":"none"}`), &v, keycloakField)
	if err != nil {
		t.Fatal(err)
	}
	if v.Port == nil || *v.Port != 3025 || !extra.Equal(iam.Extra{"sslRequired": json.RawMessage(`"none"`)}) {
		t.Errorf("decoded %+v, extra %s", v, extra)
	}
	for _, c := range []struct{ name, raw, field string }{
		{"TypoNamed", `{"prot":1}`, "prot"},
		{"NotAnObject", `"x"`, ""},
		{"Null", `null`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := iamhttp.ParseRepresentation(json.RawMessage(c.raw), &rep{}, keycloakField)
			var e *iam.Error
			if !errors.As(err, &e) || e.Code != iam.CodeInvalid || e.Field != c.field {
				t.Fatalf("err = %v, want CodeInvalid naming %q", err, c.field)
			}
		})
	}
}
