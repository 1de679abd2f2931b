// Package kcreptest helps the tests of the lenient representations: a
// plausible value for every field of a Keycloak representation, to send
// in a PUT or POST and expect back verbatim from the GET that follows.
//
//	body := kcreptest.Sample(kcrep.Realm, implemented)
package kcreptest

import (
	"reflect"
	"strings"

	"github.com/opengate-iam/opengate/internal/kcrep"
)

// Sample returns a value of the JSON type its name suggests for every field
// of rep for which skip is false (skip may be nil): booleans for flags,
// numbers for lifespans, timeouts, counts and limits, arrays for plurals,
// objects for maps and nested representations, strings otherwise. Values
// differ from Keycloak's defaults where that is easy, so that a store that
// drops a field and a reader that invents one are both seen.
func Sample(rep kcrep.Representation, skip func(field string) bool) map[string]any {
	out := map[string]any{}
	for _, f := range kcrep.Fields(rep) {
		if skip != nil && skip(f) {
			continue
		}
		out[f] = value(f)
	}
	return out
}

func value(f string) any {
	l := strings.ToLower(f)
	has := func(parts ...string) bool {
		for _, p := range parts {
			if strings.Contains(l, strings.ToLower(p)) {
				return true
			}
		}
		return false
	}
	switch {
	case has("attributes", "config", "headers", "access", "settings", "overrides", "smtpServer", "Mappings", "clientRoles"):
		return map[string]any{"sample": "value-of-" + f}
	case strings.HasPrefix(f, "is") || strings.HasPrefix(f, "has") ||
		has("Enabled", "Allowed", "Protected", "Only", "Reusable", "Lockout", "Verified", "rememberMe", "bearerOnly",
			"publicClient", "composite", "Required", "revokeRefreshToken", "alwaysDisplayInConsole", "fullScopeAllowed"):
		return true
	case has("Lifespan", "Timeout", "Seconds", "Interval", "Factor", "Digits", "Period", "Window", "Counter", "Reuse",
		"Expiration", "notBefore", "Timestamp", "Lockouts", "Failures", "Milli"):
		return 4242
	case strings.HasSuffix(f, "s") && !strings.HasSuffix(f, "ss"):
		return []any{map[string]any{"name": "sample-" + f}}
	default:
		return "sample-" + f
	}
}

// Implemented returns a skip function for Sample: true for the JSON field
// names of struct v (OpenGate's representation, whose fields are enforced
// rather than kept verbatim) and for the more fields given.
func Implemented(v any, more ...string) func(field string) bool {
	fields := map[string]bool{}
	t := reflect.TypeOf(v)
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		fields[name] = true
	}
	for _, f := range more {
		fields[f] = true
	}
	return func(f string) bool { return fields[f] }
}
