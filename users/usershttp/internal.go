package usershttp

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/users"
)

// Failure reasons on the internal authenticate endpoint, so that a remote
// caller can tell them apart as an in-process one does with errors.Is.
const (
	reasonUnknownUser    = string(users.FailureUnknownUser)
	reasonBadCredentials = string(users.FailureBadCredentials)
	reasonDisabled       = string(users.FailureDisabled)
)

// credentialsRequest is the body of the internal authenticate and lookup
// calls. The password travels only in the body, never in a URL.
type credentialsRequest struct {
	Username string `json:"username"`
	Password string `json:"password,omitempty"`
}

// authFailure is the 401 body of internal authenticate: the usual error
// body plus the reason.
type authFailure struct {
	iamhttp.ErrorBody
	Reason string `json:"reason"`
}

func (h *Handler) internalAuthenticate(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	var in credentialsRequest
	if err := iamhttp.Decode(w, r, &in); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	u, err := h.svc.Authenticate(r.Context(), realm, in.Username, in.Password)
	if err != nil {
		if iam.ErrorCode(err) != iam.CodeUnauthenticated {
			iamhttp.Error(w, r, err)
			return
		}
		reason := string(users.LoginFailureReason(err))
		if reason == "" {
			reason = reasonBadCredentials
		}
		msg := iam.ErrorMessage(err)
		iamhttp.JSON(w, http.StatusUnauthorized, authFailure{ErrorBody: iamhttp.ErrorBody{Error: string(iam.CodeUnauthenticated),
			ErrorDescription: msg, ErrorMessage: msg}, Reason: reason})
		return
	}
	iamhttp.JSON(w, http.StatusOK, userJSON(u))
}

func (h *Handler) internalFind(w http.ResponseWriter, r *http.Request) {
	h.internalLookup(w, r, h.svc.Find)
}

func (h *Handler) internalByUsername(w http.ResponseWriter, r *http.Request) {
	h.internalLookup(w, r, h.svc.GetByUsername)
}

func (h *Handler) internalLookup(w http.ResponseWriter, r *http.Request,
	find func(ctx context.Context, realm iam.Realm, login string) (users.User, error)) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	var in credentialsRequest
	if err := iamhttp.Decode(w, r, &in); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	u, err := find(r.Context(), realm, in.Username)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, userJSON(u))
}

func (h *Handler) internalGet(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	u, err := h.svc.Get(r.Context(), realm, chi.URLParam(r, "id"))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, userJSON(u))
}

// actionRequest is the body of the internal complete-action call.
type actionRequest struct {
	Action string `json:"action"`
}

func (h *Handler) internalCompleteAction(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	var in actionRequest
	if err := iamhttp.Decode(w, r, &in); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if err := h.svc.CompleteRequiredAction(r.Context(), realm, chi.URLParam(r, "id"), in.Action); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}
