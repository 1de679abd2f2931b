package rbachttp

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// ServiceTokenHeader carries the shared service secret on /internal calls
// (the same header every OpenGate service uses).
const ServiceTokenHeader = "X-OpenGate-Service-Token"

// AssignRequest is the body of POST
// /internal/realms/{realm}/users/{id}/realm-roles: realm role names.
type AssignRequest struct {
	Roles []string `json:"roles"`
}

// internalOnly lets a request through only with the configured service
// token, compared in constant time (through SHA-256, so lengths do not leak
// either). Without a configured token nothing gets through.
func (h *Handler) internalOnly(next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(h.serviceToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(r.Header.Get(ServiceTokenHeader)))
		if h.serviceToken == "" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			iamhttp.Error(w, r, iam.Errorf(iam.CodeUnauthenticated, "service token required"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// internalEffective answers the effective role names of {id}
// (EffectiveRolesRepresentation).
func (h *Handler) internalEffective(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	realmRoles, clientRoles, err := h.svc.EffectiveRoles(r.Context(), realm, param(r, "id"))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, EffectiveRolesRepresentation{RealmRoles: realmRoles, ClientRoles: clientRoles})
}

// internalAssign maps realm roles, by name, to {id} (AssignRealmRoles).
func (h *Handler) internalAssign(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	var in AssignRequest
	if err := iamhttp.Decode(w, r, &in); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if len(in.Roles) > 0 {
		if err := h.svc.AssignRealmRoles(r.Context(), realm, param(r, "id"), in.Roles...); err != nil {
			iamhttp.Error(w, r, err)
			return
		}
	}
	iamhttp.NoContent(w)
}
