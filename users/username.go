package users

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"

	"github.com/opengate-iam/opengate/iam"
)

// ServiceAccountPrefix starts the username (preferred_username) of every
// client's service account, "service-account-{clientId}"; ordinary users
// may not take it (as in Keycloak), so that no user can pass for a client.
const ServiceAccountPrefix = "service-account-"

// usernameForbidden are the characters Keycloak's default user profile
// forbids in usernames, besides whitespace and control characters.
const usernameForbidden = `<>&"'$%!#?§,;:*~/\|^=[]{}()`

// NormalizeUsername returns the stored form of a username: fullwidth and
// halfwidth forms folded to their usual width ("ａｄｍｉｎ" is "admin"),
// lowercase, in Unicode normalization form C (a precomposed "é" and "e" +
// U+0301 are one name). Every lookup by username goes through it.
func NormalizeUsername(s string) string {
	return norm.NFC.String(strings.ToLower(width.Fold.String(s)))
}

// NormalizeEmail returns the stored form of an email: lowercase, in Unicode
// normalization form C.
func NormalizeEmail(s string) string { return norm.NFC.String(strings.ToLower(s)) }

// validUsername checks a normalised username (CodeInvalid, field
// "username"). Besides length and Keycloak's forbidden ASCII characters, it
// refuses what lets one name pass for another (in the spirit of Keycloak's
// up-username-not-idn-homograph validator):
//
//   - whitespace, control and format characters, which include the
//     invisible ones (U+200B, U+FEFF) and the bidirectional controls
//     (U+202E and the other embeddings, overrides and isolates);
//   - outside ASCII, anything but letters, combining marks and decimal
//     digits (no look-alike punctuation or symbols such as U+2215 "∕");
//   - letters of several scripts ("аdmin" with a Cyrillic "а"), except the
//     combinations that are one writing system (Unicode TS #39's highly
//     restrictive level): Latin with Han, Hiragana and Katakana (Japanese),
//     with Han and Bopomofo (Chinese) or with Han and Hangul (Korean);
//   - the ServiceAccountPrefix.
func validUsername(s string) error {
	switch {
	case s == "":
		return iam.Invalidf("username", "username is required")
	case !utf8.ValidString(s):
		return iam.Invalidf("username", "username must be valid UTF-8")
	case utf8.RuneCountInString(s) > MaxUsernameLength:
		return iam.Invalidf("username", "username must be at most %d characters", MaxUsernameLength)
	case strings.HasPrefix(s, ServiceAccountPrefix):
		return iam.Invalidf("username", "usernames starting with %q are reserved for service accounts", ServiceAccountPrefix)
	}
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Z):
			return iam.Invalidf("username", "username may not contain whitespace, control, invisible or bidirectional formatting characters")
		case r < utf8.RuneSelf && strings.ContainsRune(usernameForbidden, r):
			return iam.Invalidf("username", "username may not contain any of %s", usernameForbidden)
		case r >= utf8.RuneSelf && !unicode.In(r, unicode.L, unicode.M, unicode.Nd):
			return iam.Invalidf("username", "outside ASCII, a username may contain only letters, combining marks and digits")
		}
	}
	if scripts := scriptsOf(s); !oneWritingSystem(scripts) {
		return iam.Invalidf("username", "username mixes the scripts %s; use the letters of one", strings.Join(scripts, ", "))
	}
	return nil
}

// writingSystems are the sets of scripts that may be mixed in one username.
var writingSystems = [][]string{
	{"Latin", "Han", "Hiragana", "Katakana"},
	{"Latin", "Han", "Bopomofo"},
	{"Latin", "Han", "Hangul"},
}

// oneWritingSystem reports whether scripts (sorted) are at most one script
// or a subset of one of the writingSystems.
func oneWritingSystem(scripts []string) bool {
	if len(scripts) <= 1 {
		return true
	}
	for _, ws := range writingSystems {
		if !slices.ContainsFunc(scripts, func(s string) bool { return !slices.Contains(ws, s) }) {
			return true
		}
	}
	return false
}

// scriptsOf returns the sorted names of the scripts of s's characters,
// leaving out Common (digits, ASCII punctuation) and Inherited (combining
// marks).
func scriptsOf(s string) []string {
	var out []string
	for _, r := range s {
		if name := script(r); name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// commonScripts are looked up first: nearly every username is written in
// one of them.
var commonScripts = []string{"Latin", "Cyrillic", "Greek", "Han", "Arabic", "Hebrew", "Hiragana", "Katakana", "Hangul"}

// script returns the name of r's script, or "" for Common, Inherited and
// unassigned characters.
func script(r rune) string {
	if r < utf8.RuneSelf {
		if ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') {
			return "Latin"
		}
		return ""
	}
	if unicode.In(r, unicode.Common, unicode.Inherited) {
		return ""
	}
	for _, name := range commonScripts {
		if unicode.Is(unicode.Scripts[name], r) {
			return name
		}
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return ""
}
