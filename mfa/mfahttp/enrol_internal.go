package mfahttp

import (
	"context"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/mfa"
)

// The internal API of auth-service's login and account pages: enrolling an
// authenticator (CONFIGURE_TOTP and the account pages) and recovery codes,
// for a user the pages have signed in. Answers carrying a secret are sent
// with Cache-Control: no-store.

// internalStart is the body of the internal enrolment start.
type internalStart struct {
	AccountName string `json:"accountName,omitempty"`
	UserLabel   string `json:"userLabel,omitempty"`
}

func (h *Handler) internalStartTOTP(w http.ResponseWriter, r *http.Request) {
	realm, id, ok := pathUser(w, r)
	if !ok {
		return
	}
	var in internalStart
	if err := iamhttp.Decode(w, r, &in); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	e, err := h.svc.StartTOTP(r.Context(), realm, id, in.AccountName, in.UserLabel)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	secret(w, toEnrolment(e))
}

func (h *Handler) internalConfirmTOTP(w http.ResponseWriter, r *http.Request) {
	realm, id, ok := pathUser(w, r)
	if !ok {
		return
	}
	var in confirmRequest
	if err := iamhttp.Decode(w, r, &in); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	f, err := h.svc.ConfirmTOTP(r.Context(), realm, id, in.FactorID, in.Code)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, toFactor(f))
}

func (h *Handler) internalRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	realm, id, ok := pathUser(w, r)
	if !ok {
		return
	}
	codes, err := h.svc.RegenerateRecoveryCodes(r.Context(), realm, id)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	secret(w, recoveryCodesAnswer{Codes: codes})
}

// StartTOTP starts enrolling an authenticator app for the user (see
// mfa.Service.StartTOTP); the answer carries the secret.
func (c *Client) StartTOTP(ctx context.Context, realm iam.Realm, userID, accountName, label string) (mfa.Enrolment, error) {
	const op = "mfahttp.Client.StartTOTP"
	p, err := path(op, realm, userID, "/totp")
	if err != nil {
		return mfa.Enrolment{}, err
	}
	var rep EnrolmentRepresentation
	if err := c.remote.Do(ctx, op, http.MethodPost, p, internalStart{AccountName: accountName, UserLabel: label}, &rep); err != nil {
		return mfa.Enrolment{}, err
	}
	qr, err := base64.StdEncoding.DecodeString(rep.QRCode)
	if err != nil {
		return mfa.Enrolment{}, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "malformed enrolment from mfa service", Err: err}
	}
	return mfa.Enrolment{FactorID: rep.FactorID, Secret: rep.Secret, URI: rep.OTPAuthURI, QRCode: qr,
		Algorithm: rep.Algorithm, Digits: rep.Digits, Period: time.Duration(rep.Period) * time.Second,
		ExpiresAt: time.UnixMilli(rep.ExpiresAt).UTC()}, nil
}

// ConfirmTOTP confirms a pending enrolment with a code of the app (see
// mfa.Service.ConfirmTOTP).
func (c *Client) ConfirmTOTP(ctx context.Context, realm iam.Realm, userID, factorID, code string) (mfa.PublicFactor, error) {
	const op = "mfahttp.Client.ConfirmTOTP"
	p, err := path(op, realm, userID, "/totp/confirm")
	if err != nil {
		return mfa.PublicFactor{}, err
	}
	var rep FactorRepresentation
	if err := c.remote.Do(ctx, op, http.MethodPost, p, confirmRequest{FactorID: factorID, Code: code}, &rep); err != nil {
		return mfa.PublicFactor{}, err
	}
	return fromFactor(realm, userID, rep), nil
}

// RegenerateRecoveryCodes makes the user a new set of recovery codes (see
// mfa.Service.RegenerateRecoveryCodes), to be shown once.
func (c *Client) RegenerateRecoveryCodes(ctx context.Context, realm iam.Realm, userID string) ([]string, error) {
	const op = "mfahttp.Client.RegenerateRecoveryCodes"
	p, err := path(op, realm, userID, "/recovery-codes")
	if err != nil {
		return nil, err
	}
	var out recoveryCodesAnswer
	if err := c.remote.Do(ctx, op, http.MethodPost, p, nil, &out); err != nil {
		return nil, err
	}
	return out.Codes, nil
}
