package iam_test

import (
	"testing"

	"github.com/opengate-iam/opengate/iam"
)

func TestIsText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"Empty", "", true},
		{"PlainAndUnicode", "Zürich, 東京 — ok", true},
		{"TabAndNewlines", "a\tb\nc\r\n", true},
		{"NUL", "a\x00b", false},
		{"Escape", "a\x1b[31m", false},
		{"Delete", "a\x7f", false},
		{"C1Control", "a\u0085b", false},
		{"InvalidUTF8", "a\xffb", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := iam.IsText(tt.in); got != tt.want {
				t.Fatalf("IsText(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
