package authui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"
	"sync"
)

// builtin holds the default theme: themes/default/templates/*.html and
// themes/default/resources/*.
//
//go:embed themes/default
var builtin embed.FS

// DefaultTheme is the name of the built-in theme.
const DefaultTheme = "default"

// layoutFile holds the layout and the partials every page shares.
const layoutFile = "layout.html"

// Page templates, one file each under templates/.
const (
	pageLogin          = "login.html"
	pageOTP            = "otp.html"
	pageUpdatePassword = "update-password.html"
	pageConfigureTOTP  = "configure-totp.html"
	pageUpdateProfile  = "update-profile.html"
	pageVerifyEmail    = "verify-email.html"
	pageRegister       = "register.html"
	pageMessage        = "message.html"
	pageLogoutConfirm  = "logout-confirm.html"
	pageFormPost       = "form-post.html"
	pageProfile        = "account-profile.html"
	pagePassword       = "account-password.html"
	pageSecurity       = "account-security.html"
	pageDevices        = "account-devices.html"
)

var pageFiles = []string{pageLogin, pageOTP, pageUpdatePassword, pageConfigureTOTP, pageUpdateProfile,
	pageVerifyEmail, pageRegister, pageMessage, pageLogoutConfirm, pageFormPost, pageProfile, pagePassword,
	pageSecurity, pageDevices}

// themeName is what a theme directory may be called (Keycloak's theme
// names are directory names too).
var themeName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// resourceName is what a resource file may be called: no directories.
var resourceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// theme is a parsed theme: each page's template set and the hashes of
// its resources (for cache-busting URLs).
type theme struct {
	name  string
	pages map[string]*template.Template
	dirs  []fs.FS // resources/ of the theme, then of the default
	// versions of resource files, by name, computed once.
	mu       sync.Mutex
	versions map[string]string
}

// themes loads themes from the built-in default and an optional directory
// of themes: {dir}/{name}/templates/*.html and {dir}/{name}/resources/*.
// A theme's file replaces the default's of the same name; files it lacks
// come from the default. Parsed themes are kept for the process's life.
type themes struct {
	dir fs.FS // nil: the default only
	log *slog.Logger

	mu     sync.Mutex
	parsed map[string]*theme
}

func newThemes(dir fs.FS, log *slog.Logger) (*themes, error) {
	t := &themes{dir: dir, log: log, parsed: map[string]*theme{}}
	// The default must parse: a broken build is caught at start-up. It is
	// what every other theme falls back to.
	def, err := t.load(DefaultTheme)
	if err != nil {
		return nil, err
	}
	t.parsed[DefaultTheme] = def
	return t, nil
}

// get returns the theme called name, or the default when name is empty,
// malformed, not a directory of the theme directory, or fails to parse
// (logged once).
func (t *themes) get(name string) *theme {
	if name == "" || !themeName.MatchString(name) || t.dir == nil {
		name = DefaultTheme
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if th, ok := t.parsed[name]; ok {
		return th
	}
	th, err := t.load(name)
	if err != nil {
		t.log.Error("authui: login theme cannot be used; the default theme is used instead",
			slog.String("theme", name), slog.String("error", err.Error()))
		th = t.parsed[DefaultTheme]
	}
	t.parsed[name] = th
	return th
}

// load parses theme name over the default.
func (t *themes) load(name string) (*theme, error) {
	def, err := fs.Sub(builtin, "themes/"+DefaultTheme)
	if err != nil {
		return nil, err
	}
	layers := []fs.FS{def}
	if name != DefaultTheme {
		info, err := fs.Stat(t.dir, name)
		if err != nil || !info.IsDir() {
			return nil, fmt.Errorf("no theme directory %q", name)
		}
		sub, err := fs.Sub(t.dir, name)
		if err != nil {
			return nil, err
		}
		layers = []fs.FS{sub, def}
	}
	read := func(file string) (string, error) {
		for _, l := range layers {
			b, err := fs.ReadFile(l, "templates/"+file)
			if err == nil {
				return string(b), nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return "", err
			}
		}
		return "", fmt.Errorf("template %s not found", file)
	}
	layout, err := read(layoutFile)
	if err != nil {
		return nil, err
	}
	th := &theme{name: name, pages: map[string]*template.Template{}, versions: map[string]string{}}
	for _, file := range pageFiles {
		body, err := read(file)
		if err != nil {
			return nil, err
		}
		tmpl := template.New("page").Option("missingkey=zero")
		if _, err := tmpl.New(layoutFile).Parse(layout); err != nil {
			return nil, fmt.Errorf("%s: %w", layoutFile, err)
		}
		if _, err := tmpl.New(file).Parse(body); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if tmpl.Lookup("layout") == nil || tmpl.Lookup("content") == nil {
			return nil, fmt.Errorf("%s: the layout template must define \"layout\" and the page \"content\"", file)
		}
		th.pages[file] = tmpl
	}
	for _, l := range layers {
		if sub, err := fs.Sub(l, "resources"); err == nil {
			th.dirs = append(th.dirs, sub)
		}
	}
	return th, nil
}

// render executes page file with data into a buffer (so that a failing
// template sends no half page).
func (th *theme) render(file string, data any) ([]byte, error) {
	tmpl, ok := th.pages[file]
	if !ok {
		return nil, fmt.Errorf("no page %s", file)
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// resource returns resource file of the theme (or of the default).
func (th *theme) resource(name string) ([]byte, bool) {
	if !resourceName.MatchString(name) {
		return nil, false
	}
	for _, d := range th.dirs {
		if b, err := fs.ReadFile(d, name); err == nil {
			return b, true
		}
	}
	return nil, false
}

// version returns a short hash of resource name's content ("" if absent).
func (th *theme) version(name string) string {
	th.mu.Lock()
	defer th.mu.Unlock()
	if v, ok := th.versions[name]; ok {
		return v
	}
	v := ""
	if b, ok := th.resource(name); ok {
		sum := sha256.Sum256(b)
		v = hex.EncodeToString(sum[:6])
	}
	th.versions[name] = v
	return v
}

// serveResource serves GET /resources/login/{theme}/{file}: a theme's
// stylesheet, script, images and fonts, cacheable (their URLs carry a
// version).
func (t *themes) serveResource(w http.ResponseWriter, r *http.Request, themeParam, file string) {
	th := t.get(themeParam)
	b, ok := th.resource(file)
	if !ok {
		http.NotFound(w, r)
		return
	}
	ct := mime.TypeByExtension(path.Ext(file))
	if ct == "" || strings.HasPrefix(ct, "text/html") {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(b)
}
