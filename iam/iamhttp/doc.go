// Package iamhttp is the HTTP boundary shared by every OpenGate service: JSON
// decoding with a size limit and unknown-field rejection, JSON encoding, the
// one table from iam error codes to HTTP status codes (and its reverse for
// remote clients, with the ServiceClient they call /internal routes with),
// request ids, structured request logs, panic recovery, health and readiness
// endpoints and graceful serving. It depends on the standard library and iam
// only (Prometheus metrics are in iammetrics), so authverify, which every
// resource server imports, stays light.
//
// A handler decodes, calls the service, and renders the result or the error:
//
//	func (h *handler) createUser(w http.ResponseWriter, r *http.Request) {
//		var in UserRepresentation
//		if err := iamhttp.Decode(w, r, &in); err != nil {
//			iamhttp.Error(w, r, err)
//			return
//		}
//		u, err := h.svc.Create(r.Context(), realm, in.toUser())
//		if err != nil {
//			iamhttp.Error(w, r, err) // 400/404/409/... with {"error","error_description"}
//			return
//		}
//		iamhttp.JSON(w, http.StatusCreated, u)
//	}
package iamhttp
