package authjwt

// Reason names the rule a refused token broke. Reasons are append-only.
type Reason string

// Reasons of refusal.
const (
	ReasonMalformed    Reason = "malformed"     // not a well-formed compact JWS or claims set
	ReasonNoKeyID      Reason = "no_kid"        // the header has no kid
	ReasonUnknownKey   Reason = "unknown_key"   // kid names no key of the realm
	ReasonAlgorithm    Reason = "algorithm"     // alg differs from the key's algorithm
	ReasonHeaderType   Reason = "header_type"   // the header's typ is not JWT or at+jwt
	ReasonSignature    Reason = "signature"     // the signature does not verify
	ReasonMissingClaim Reason = "missing_claim" // a required claim is absent
	ReasonType         Reason = "type"          // typ is not Bearer
	ReasonIssuer       Reason = "issuer"        // iss or realm is not the realm's
	ReasonRealmID      Reason = "realm_id"      // realm_id is not the realm's current id
	ReasonAudience     Reason = "audience"      // aud lacks the expected audience
	ReasonExpired      Reason = "expired"       // exp has passed
	ReasonNotYetValid  Reason = "not_yet_valid" // iat or nbf lies beyond Leeway in the future
	ReasonRevoked      Reason = "revoked"       // jti revoked or session ended
)

// Error is a refused token. Reason is for logs, metrics and tests; Message
// is a description safe to show to the caller.
type Error struct {
	Reason Reason
	// Claim names the missing claim for ReasonMissingClaim.
	Claim string
}

// Error returns "authjwt: " and the reason.
func (e *Error) Error() string {
	if e.Claim != "" {
		return "authjwt: " + string(e.Reason) + " (" + e.Claim + ")"
	}
	return "authjwt: " + string(e.Reason)
}

// Message is a caller-safe description of the refusal (Keycloak's wording
// where it has one).
func (e *Error) Message() string {
	switch e.Reason {
	case ReasonNoKeyID:
		return "Token has no key id"
	case ReasonUnknownKey, ReasonAlgorithm, ReasonSignature:
		return "Invalid token signature"
	case ReasonHeaderType, ReasonType:
		return "Token is not an access token"
	case ReasonIssuer:
		return "Invalid token issuer"
	case ReasonRealmID:
		return "Token is of a deleted realm"
	case ReasonAudience:
		return "Invalid token audience"
	case ReasonExpired:
		return "Token is expired"
	case ReasonNotYetValid:
		return "Token is not valid yet"
	case ReasonRevoked:
		return "Token has been revoked"
	}
	return "Malformed token"
}

func refuse(r Reason) error { return &Error{Reason: r} }

func missing(claim string) error { return &Error{Reason: ReasonMissingClaim, Claim: claim} }
