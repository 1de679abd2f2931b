package clientshttp

import (
	"net/http"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/internal/kcrep"
)

// decodeClient reads a ClientRepresentation as Keycloak does
// (iamhttp.DecodeRepresentation over kcrep's client fields): the fields of
// ClientRepresentation are decoded (Keycloak's string scalars coerced),
// Keycloak's other fields are returned to be stored verbatim, except
// registrationAccessToken (a credential Keycloak issues, never taken from
// a request: dropped), and any other field is refused naming it.
func decodeClient(w http.ResponseWriter, r *http.Request) (ClientRepresentation, iam.Extra, error) {
	var rep ClientRepresentation
	extra, err := iamhttp.DecodeRepresentation(w, r, &rep, func(f string) bool { return kcrep.Has(kcrep.Client, f) })
	if err != nil {
		return rep, nil, err
	}
	delete(extra, "registrationAccessToken")
	if len(extra) == 0 {
		extra = nil
	}
	return rep, extra, nil
}

// clientJSON is the representation of c with its stored Keycloak fields.
func clientJSON(c clients.Client) any { return iamhttp.WithExtra(fromClient(c), c.Extra) }
