// Package authjwt is the one definition of an OpenGate access token and of
// the policy that verifies it. The issuer's own checks (auth's userinfo,
// introspection and revocation) and every resource server's (authverify)
// call Verify, so a token is valid everywhere or nowhere.
//
// The policy, in the order Verify applies it:
//
//   - Form: a compact JWS (RFC 7515) of at most MaxTokenBytes, canonical
//     unpadded base64url, a JOSE header without "crit".
//   - Key: the header's kid names a key of the realm's key set (Keys); the
//     header's alg equals that key's algorithm, which is RS256 (RSA of at
//     least 2048 bits), ES256 (P-256) or EdDSA (Ed25519) — "none", HMAC and
//     algorithm confusion are refused. The header's typ, when present, is
//     "JWT" or "at+jwt" (RFC 9068). Keys come from the realm's key set only,
//     never from the token (jwk, jku, x5u and x5c are ignored).
//   - Signature: valid under that key.
//   - Claims: exp, iat, jti, sub, iss, typ, realm and realm_id present; typ
//     "Bearer" (ID and refresh tokens are refused); iss equal to the realm's
//     issuer and realm to the realm's name; realm_id equal to the realm's
//     current immutable id, so a token dies with its realm even when a realm
//     of the same name is created again; aud containing the expected audience
//     when the verifier requires one.
//   - Time: exp, iat and nbf are whole seconds since the epoch. The token is
//     expired from the second of exp on, with no leeway, so every verifier
//     and the introspection endpoint agree to the second; iat and nbf may
//     lie up to Leeway in the future (clock skew between the issuer's
//     replicas and a verifier).
//   - Revocation: the token's jti is not revoked and its session (sid) has
//     not ended, when the caller gives a Revoked function (fail closed: an
//     error of it fails the verification).
//
// A refusal is an *Error whose Reason names the rule; its Message is safe
// to show to the caller. Failing dependencies (key lookup, revocation list)
// are returned as they are.
//
//	tok, err := authjwt.Parse(raw)
//	...
//	claims, err := tok.Verify(ctx, keys, authjwt.Expect{
//		Issuer: issuer, Realm: realm, RealmID: realmID, Now: time.Now(),
//		Revoked: revocations.Revoked,
//	})
package authjwt
