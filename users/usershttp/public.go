package usershttp

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// maxFormBytes bounds form bodies of the public pages.
const maxFormBytes = 64 << 10

// pageTemplate renders the minimal HTML pages of the login actions. Every
// value is escaped by html/template.
const pageTemplate = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}
label,input,button{display:block;width:100%;margin:.4rem 0}input,button{padding:.5rem}</style></head>
<body><h1>{{.Title}}</h1>{{if .Message}}<p>{{.Message}}</p>{{end}}
{{if eq .Form "request"}}<form method="post" action="{{.Action}}">
<label for="username">Username or email</label><input id="username" name="username" autocomplete="username" required>
<button type="submit">Send reset link</button></form>{{end}}
{{if eq .Form "complete"}}<form method="post" action="{{.Action}}"><input type="hidden" name="key" value="{{.Key}}">
<label for="password">New password</label><input id="password" name="password" type="password" autocomplete="new-password" required>
<label for="confirmation">Repeat the new password</label><input id="confirmation" name="confirmation" type="password" autocomplete="new-password" required>
<button type="submit">Set password</button></form>{{end}}
</body></html>`

// page is the data of pageTemplate.
type page struct {
	Title, Message, Form, Action, Key string
}

// render writes an HTML page with headers that keep it out of caches,
// frames and referrers (its URL may carry a key).
func (h *Handler) render(w http.ResponseWriter, status int, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_ = h.pages.Execute(w, p)
}

// wantsHTML reports whether the caller is a browser (form post or an Accept
// header preferring HTML) rather than an API client.
func wantsHTML(r *http.Request) bool {
	if isForm(r) {
		return true
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "text/html") && !strings.Contains(accept, "application/json")
}

func isForm(r *http.Request) bool {
	return strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/x-www-form-urlencoded")
}

// fail renders err as a page for browsers and as JSON otherwise.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, title string, err error) {
	if !wantsHTML(r) {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.SetRetryAfter(w, err)
	h.render(w, iamhttp.Status(iam.ErrorCode(err)), page{Title: title, Message: iam.ErrorMessage(err)})
}

// message answers {"message": msg} or a page.
func (h *Handler) message(w http.ResponseWriter, r *http.Request, title, msg string) {
	if wantsHTML(r) {
		h.render(w, http.StatusOK, page{Title: title, Message: msg})
		return
	}
	iamhttp.JSON(w, http.StatusOK, map[string]string{"message": msg})
}

func (h *Handler) verifyEmail(w http.ResponseWriter, r *http.Request) {
	const title = "Email verification"
	realm, err := iamhttp.Realm(r)
	if err != nil {
		h.fail(w, r, title, err)
		return
	}
	if _, err := h.svc.VerifyEmail(r.Context(), realm, r.URL.Query().Get("key")); err != nil {
		h.fail(w, r, title, err)
		return
	}
	h.message(w, r, title, "Your email address has been verified.")
}

// resetForm serves the browser forms: without a key, the request form; with
// one, the new-password form.
func (h *Handler) resetForm(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		h.render(w, iamhttp.Status(iam.ErrorCode(err)), page{Title: "Reset password", Message: iam.ErrorMessage(err)})
		return
	}
	base := "/realms/" + string(realm) + "/login-actions/reset-credentials"
	if key := r.URL.Query().Get("key"); key != "" {
		h.render(w, http.StatusOK, page{Title: "Choose a new password", Form: "complete", Action: base + "/complete", Key: key})
		return
	}
	h.render(w, http.StatusOK, page{Title: "Reset password", Form: "request", Action: base})
}

// resetRequest is the JSON body of a reset request.
type resetRequest struct {
	Username string `json:"username,omitempty"`
	Email    string `json:"email,omitempty"`
}

// resetSent is the one answer to every reset request.
const resetSent = "If an account matches, an email with instructions has been sent."

func (h *Handler) requestReset(w http.ResponseWriter, r *http.Request) {
	const title = "Reset password"
	realm, err := iamhttp.Realm(r)
	if err != nil {
		h.fail(w, r, title, err)
		return
	}
	var in resetRequest
	if isForm(r) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			h.fail(w, r, title, iam.Invalidf("username", "malformed form"))
			return
		}
		in.Username, in.Email = r.PostForm.Get("username"), r.PostForm.Get("email")
	} else if err := iamhttp.Decode(w, r, &in); err != nil {
		h.fail(w, r, title, err)
		return
	}
	login := in.Username
	if login == "" {
		login = in.Email
	}
	if login != "" {
		ctx := iam.WithClientIP(r.Context(), h.clientIP(r))
		if err := h.svc.RequestPasswordReset(ctx, realm, login); err != nil {
			h.fail(w, r, title, err)
			return
		}
	}
	h.message(w, r, title, resetSent)
}

// resetCompletion is the JSON body that completes a reset.
type resetCompletion struct {
	Key          string `json:"key"`
	Password     string `json:"password"`
	Confirmation string `json:"confirmation,omitempty"`
}

func (h *Handler) completeReset(w http.ResponseWriter, r *http.Request) {
	const title = "Choose a new password"
	realm, err := iamhttp.Realm(r)
	if err != nil {
		h.fail(w, r, title, err)
		return
	}
	var in resetCompletion
	if isForm(r) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			h.fail(w, r, title, iam.Invalidf("password", "malformed form"))
			return
		}
		in = resetCompletion{Key: r.PostForm.Get("key"), Password: r.PostForm.Get("password"),
			Confirmation: r.PostForm.Get("confirmation")}
		if in.Confirmation != in.Password {
			h.fail(w, r, title, iam.Invalidf("confirmation", "the passwords do not match"))
			return
		}
	} else {
		if err := iamhttp.Decode(w, r, &in); err != nil {
			h.fail(w, r, title, err)
			return
		}
		if in.Confirmation != "" && in.Confirmation != in.Password {
			h.fail(w, r, title, iam.Invalidf("confirmation", "the passwords do not match"))
			return
		}
	}
	if err := h.svc.ResetPassword(r.Context(), realm, in.Key, in.Password); err != nil {
		h.fail(w, r, title, err)
		return
	}
	if wantsHTML(r) {
		h.render(w, http.StatusOK, page{Title: title, Message: "Your password has been changed. You can sign in now."})
		return
	}
	iamhttp.NoContent(w)
}

// newPages parses pageTemplate.
func newPages() *template.Template {
	return template.Must(template.New("page").Parse(pageTemplate))
}
