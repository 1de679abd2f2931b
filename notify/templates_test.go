package notify_test

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/notify"
)

func catalog(t *testing.T, path string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// TestEveryLocaleHasEveryMessage keeps the translations complete: a
// missing key would show English in the middle of a German mail.
func TestEveryLocaleHasEveryMessage(t *testing.T) {
	en := catalog(t, "templates/messages/en.json")
	files, _ := filepath.Glob("templates/messages/*.json")
	if len(files) < 3 {
		t.Fatalf("catalogues: %v", files)
	}
	for _, f := range files {
		m := catalog(t, f)
		if !slices.Equal(slices.Sorted(maps.Keys(m)), slices.Sorted(maps.Keys(en))) {
			t.Errorf("%s has other keys than en.json", f)
		}
		for k, v := range m {
			if strings.Count(v, "{") != strings.Count(en[k], "{") {
				t.Errorf("%s: %s has other placeholders than in English", f, k)
			}
		}
	}
}

// TestTemplatesUseOnlyKnownMessages finds every .T "key" of the built-in
// templates in the English catalogue, and every kind's subject and (for
// mails with a link) button.
func TestTemplatesUseOnlyKnownMessages(t *testing.T) {
	en := catalog(t, "templates/messages/en.json")
	files, _ := filepath.Glob("templates/*/*.*")
	used := regexp.MustCompile(`\.T "([^"]+)"`)
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		for _, m := range used.FindAllStringSubmatch(string(raw), -1) {
			if _, ok := en[m[1]]; !ok {
				t.Errorf("%s uses unknown message %q", f, m[1])
			}
		}
	}
	for _, k := range notify.Kinds() {
		if _, ok := en[string(k)+".subject"]; !ok {
			t.Errorf("no subject for %s", k)
		}
	}
	for _, k := range []notify.Kind{notify.KindWelcome, notify.KindVerifyEmail, notify.KindPasswordReset,
		notify.KindExecuteActions, notify.KindLoginAlert} {
		if _, ok := en[string(k)+".button"]; !ok {
			t.Errorf("no button label for %s", k)
		}
	}
}

func TestLocaleChain(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"de", []string{"de"}},
		{"de-CH", []string{"de-ch", "de"}},
		{"pt_BR", []string{"pt-br", "pt"}},
		{" FR ", []string{"fr"}},
		{"", nil},
		{"x", nil},
		{"../etc", nil},
		{"de--ch", nil},
		{"verylongpart-x", nil},
	} {
		if got := notify.LocaleChain(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("LocaleChain(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if _, err := notify.ParseLocale("<script>"); iam.ErrorField(err) != "locale" {
		t.Fatalf("ParseLocale(<script>) = %v", err)
	}
}

func TestParseKindAndStatus(t *testing.T) {
	for _, k := range notify.Kinds() {
		if got, err := notify.ParseKind(string(k)); err != nil || got != k {
			t.Errorf("ParseKind(%s) = %s, %v", k, got, err)
		}
	}
	if _, err := notify.ParseKind("Welcome"); iam.ErrorField(err) != "kind" {
		t.Errorf("ParseKind is case-sensitive: %v", err)
	}
	if _, err := notify.ParseStatus("sending"); iam.ErrorField(err) != "status" {
		t.Errorf("ParseStatus(sending) = %v", err)
	}
}
