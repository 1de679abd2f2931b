package mfahttp

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/mfa"
)

// verifyRequest is the body of the internal verify call. The code travels
// only in the body, never in a URL.
type verifyRequest struct {
	Code string `json:"code"`
}

// verifyAnswer names the method that accepted the code.
type verifyAnswer struct {
	Method string `json:"method"`
}

// verifyFailure is the 401 body of a failed verify: the usual error body
// plus the reason, so that a remote caller tells reasons apart as an
// in-process one does (mfa.FailureReason).
type verifyFailure struct {
	iamhttp.ErrorBody
	Reason string `json:"reason"`
}

// emailRequest is the body of the internal email-otp call.
type emailRequest struct {
	Email string `json:"email"`
}

func (h *Handler) internalFactors(w http.ResponseWriter, r *http.Request) {
	realm, id, ok := pathUser(w, r)
	if !ok {
		return
	}
	list, err := h.svc.Factors(r.Context(), realm, id)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, toFactors(list))
}

func (h *Handler) internalVerify(w http.ResponseWriter, r *http.Request) {
	realm, id, ok := pathUser(w, r)
	if !ok {
		return
	}
	var in verifyRequest
	if err := iamhttp.Decode(w, r, &in); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	method, err := h.svc.Verify(r.Context(), realm, id, in.Code)
	if reason := mfa.FailureReason(err); reason != "" {
		msg := iam.ErrorMessage(err)
		iamhttp.JSON(w, http.StatusUnauthorized, verifyFailure{ErrorBody: iamhttp.ErrorBody{
			Error: string(iam.CodeUnauthenticated), ErrorDescription: msg, ErrorMessage: msg}, Reason: reason})
		return
	}
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, verifyAnswer{Method: method})
}

func (h *Handler) internalSendEmailOTP(w http.ResponseWriter, r *http.Request) {
	realm, id, ok := pathUser(w, r)
	if !ok {
		return
	}
	var in emailRequest
	if err := iamhttp.Decode(w, r, &in); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if err := h.svc.SendEmailOTP(r.Context(), realm, id, in.Email); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

func (h *Handler) internalCredentials(w http.ResponseWriter, r *http.Request) {
	realm, id, ok := pathUser(w, r)
	if !ok {
		return
	}
	creds, err := h.svc.Credentials(r.Context(), realm, id)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	out := make([]credentialRepresentation, 0, len(creds))
	for _, c := range creds {
		out = append(out, credentialRepresentation{ID: c.ID, Type: c.Type, UserLabel: c.UserLabel, CreatedDate: c.CreatedAt.UnixMilli()})
	}
	iamhttp.JSON(w, http.StatusOK, out)
}

func (h *Handler) internalDeleteCredential(w http.ResponseWriter, r *http.Request) {
	realm, id, ok := pathUser(w, r)
	if !ok {
		return
	}
	if err := h.svc.DeleteCredential(r.Context(), realm, id, chi.URLParam(r, "credId")); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}
