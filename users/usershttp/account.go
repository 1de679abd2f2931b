package usershttp

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/users"
)

func (h *Handler) account(w http.ResponseWriter, r *http.Request) {
	if h.accountPages != "" && iam.PrincipalFrom(r.Context()) == nil && r.Header.Get("Authorization") == "" && prefersHTML(r) {
		realm, err := iamhttp.Realm(r)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, h.accountPages+"/realms/"+string(realm)+"/account/profile", http.StatusFound)
		return
	}
	realm, id, ok := accountCaller(w, r)
	if !ok {
		return
	}
	u, err := h.svc.Get(r.Context(), realm, id)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, toAccount(u))
}

func (h *Handler) updateAccount(w http.ResponseWriter, r *http.Request) {
	realm, id, ok := accountCaller(w, r)
	if !ok {
		return
	}
	var rep AccountRepresentation
	if err := iamhttp.Decode(w, r, &rep); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if rep.ID != "" && rep.ID != id {
		iamhttp.Error(w, r, iam.Invalidf("id", "id cannot be changed"))
		return
	}
	cur, err := h.svc.Get(r.Context(), realm, id)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	// Attributes and emailVerified are administered, not self-service: the
	// account console may send them back unchanged.
	if rep.Attributes != nil && !maps.EqualFunc(rep.Attributes, cur.Attributes, slices.Equal) {
		iamhttp.Error(w, r, iam.Invalidf("attributes", "attributes cannot be changed through the account API"))
		return
	}
	if rep.EmailVerified != nil && *rep.EmailVerified != cur.EmailVerified {
		iamhttp.Error(w, r, iam.Invalidf("emailVerified", "emailVerified cannot be changed through the account API"))
		return
	}
	_, err = h.svc.UpdateAccount(r.Context(), realm, id, users.AccountPatch{Username: rep.Username, Email: rep.Email,
		FirstName: rep.FirstName, LastName: rep.LastName})
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

// passwordChange is Keycloak's account password update body.
type passwordChange struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
	Confirmation    string `json:"confirmation"`
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) {
	realm, id, ok := accountCaller(w, r)
	if !ok {
		return
	}
	var in passwordChange
	if err := iamhttp.Decode(w, r, &in); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if in.Confirmation != in.NewPassword {
		iamhttp.Error(w, r, iam.Invalidf("confirmation", "the new passwords do not match"))
		return
	}
	ctx := iam.WithClientIP(r.Context(), h.clientIP(r)) // wrong current passwords count per address too
	if err := h.svc.ChangePassword(ctx, realm, id, in.CurrentPassword, in.NewPassword); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, passwordChanged{
		OtherSessionsSignedOut: true,
		Message:                "Your password has been changed. Every other session of your account has been signed out.",
	})
}

// passwordChanged is the answer to a password change: the user's other
// sessions end (users.ChangePassword), and the answer says so.
type passwordChanged struct {
	OtherSessionsSignedOut bool   `json:"otherSessionsSignedOut"`
	Message                string `json:"message"`
}

// accountCaller returns the path's realm and the calling user's id
// (iamhttp.AccountCaller).
func accountCaller(w http.ResponseWriter, r *http.Request) (iam.Realm, string, bool) {
	realm, p, ok := iamhttp.AccountCaller(w, r)
	if !ok {
		return "", "", false
	}
	return realm, p.Subject, true
}

// prefersHTML reports whether the request's Accept header names text/html
// before any JSON type (browsers navigating; API clients ask for JSON or
// nothing).
func prefersHTML(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "text/html", "application/xhtml+xml":
			return true
		case "application/json", "*/*":
			return false
		}
	}
	return false
}
