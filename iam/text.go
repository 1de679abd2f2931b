package iam

import "unicode/utf8"

// IsText reports whether s is text every store keeps as given: valid UTF-8
// without control characters other than tab, line feed and carriage
// return. NUL in particular is refused everywhere, because PostgreSQL
// cannot store it in text while the memory stores could; validating with
// IsText gives both the same rule. Single-line fields (names, identifiers)
// refuse tab and newlines too, with their own checks.
func IsText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r <= 0x9f) {
			return false
		}
	}
	return true
}
