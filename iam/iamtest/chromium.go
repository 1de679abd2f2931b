package iamtest

import (
	"os"
	"os/exec"
	"testing"
)

// EnvChromium names the Chromium (or Chrome) binary browser tests drive;
// by default the first of chromium, chromium-browser, google-chrome and
// chrome found in PATH.
const EnvChromium = "OPENGATE_TEST_CHROMIUM"

// Chromium returns the path of a Chromium binary for browser tests. When
// there is none it skips t with a message naming EnvChromium, or fails it
// under OPENGATE_TEST_REQUIRE=1 (CI installs Debian's chromium).
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvChromium); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("%s=%q: %v", EnvChromium, p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium in PATH (chromium, chromium-browser, google-chrome, chrome) and " + EnvChromium + " is not set"
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("%s; %s=1 requires it (Debian: apt-get install chromium)", msg, EnvRequire)
	}
	t.Skip(msg + "; install chromium to run this test")
	return ""
}
