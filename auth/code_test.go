package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
)

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-long-enough"

func challenge(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (e *env) issueCode(req auth.CodeRequest) string {
	e.t.Helper()
	if req.Realm == "" {
		req.Realm = "acme"
	}
	if req.UserID == "" {
		req.UserID = alice.ID
	}
	code, err := e.svc.IssueCode(context.Background(), req)
	if err != nil {
		e.t.Fatalf("IssueCode: %v", err)
	}
	return code
}

func codeReq(code, clientID, secret, redirect, verifier string) auth.TokenRequest {
	return auth.TokenRequest{GrantType: auth.GrantAuthorizationCode, Code: code, RedirectURI: redirect,
		CodeVerifier: verifier, Client: auth.ClientCredentials{ClientID: clientID, Secret: secret}}
}

func TestAuthorizationCodeWithPKCE(t *testing.T) {
	e := newEnv(t)
	code := e.issueCode(auth.CodeRequest{ClientID: "spa", RedirectURI: "https://spa/cb", Scope: "openid",
		Nonce: "n-0S6", CodeChallenge: challenge(verifier), CodeChallengeMethod: auth.PKCES256, SessionID: "browser-session"})
	tok := e.mustToken(codeReq(code, "spa", "", "https://spa/cb", verifier))
	if tok.SessionState != "browser-session" || tok.RefreshToken == "" || tok.IDToken == "" {
		t.Fatalf("tokens = %+v", tok)
	}
	id := jwtPart(t, tok.IDToken, 1)
	if id["nonce"] != "n-0S6" || id["aud"] != "spa" || id["sid"] != "browser-session" {
		t.Fatalf("id token = %v", id)
	}
	// The refresh token from a code works and keeps the nonce.
	next := e.mustToken(refreshReq(tok.RefreshToken, "spa", ""))
	if jwtPart(t, next.IDToken, 1)["nonce"] != "n-0S6" {
		t.Fatal("refreshed ID token lost the nonce")
	}
}

func TestAuthorizationCodeForConfidentialClientWithoutPKCE(t *testing.T) {
	e := newEnv(t)
	code := e.issueCode(auth.CodeRequest{ClientID: "app", RedirectURI: "https://app/cb"})
	tok := e.mustToken(codeReq(code, "app", "app-secret", "https://app/cb", ""))
	if tok.IDToken != "" {
		t.Fatal("ID token without openid scope")
	}
}

func TestAuthorizationCodeRedemptionErrors(t *testing.T) {
	tests := []struct {
		name    string
		issue   auth.CodeRequest
		redeem  func(code string) auth.TokenRequest
		advance time.Duration
	}{
		{"WrongVerifier", auth.CodeRequest{ClientID: "spa", RedirectURI: "https://spa/cb", CodeChallenge: challenge(verifier), CodeChallengeMethod: "S256"},
			func(c string) auth.TokenRequest {
				return codeReq(c, "spa", "", "https://spa/cb", strings.Repeat("x", 43))
			}, 0},
		{"MissingVerifier", auth.CodeRequest{ClientID: "spa", RedirectURI: "https://spa/cb", CodeChallenge: challenge(verifier), CodeChallengeMethod: "S256"},
			func(c string) auth.TokenRequest { return codeReq(c, "spa", "", "https://spa/cb", "") }, 0},
		{"VerifierWithoutChallenge", auth.CodeRequest{ClientID: "app", RedirectURI: "https://app/cb"},
			func(c string) auth.TokenRequest { return codeReq(c, "app", "app-secret", "https://app/cb", verifier) }, 0},
		{"ChallengeAsVerifierForS256", auth.CodeRequest{ClientID: "spa", RedirectURI: "https://spa/cb", CodeChallenge: challenge(verifier), CodeChallengeMethod: "S256"},
			func(c string) auth.TokenRequest { return codeReq(c, "spa", "", "https://spa/cb", challenge(verifier)) }, 0},
		{"RedirectURIMismatch", auth.CodeRequest{ClientID: "app", RedirectURI: "https://app/cb"},
			func(c string) auth.TokenRequest { return codeReq(c, "app", "app-secret", "https://app/cb/", "") }, 0},
		{"MissingRedirectURI", auth.CodeRequest{ClientID: "app", RedirectURI: "https://app/cb"},
			func(c string) auth.TokenRequest { return codeReq(c, "app", "app-secret", "", "") }, 0},
		{"OtherClient", auth.CodeRequest{ClientID: "app", RedirectURI: "https://app/cb"},
			func(c string) auth.TokenRequest { return codeReq(c, "app2", "app2-secret", "https://app/cb", "") }, 0},
		{"Expired", auth.CodeRequest{ClientID: "app", RedirectURI: "https://app/cb"},
			func(c string) auth.TokenRequest { return codeReq(c, "app", "app-secret", "https://app/cb", "") }, 61 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			code := e.issueCode(tt.issue)
			e.clock.Advance(tt.advance)
			_, err := e.token(tt.redeem(code))
			wantOAuth(t, err, auth.ErrorInvalidGrant)
		})
	}
}

func TestAuthorizationCodeOfAnotherRealmIsUnknown(t *testing.T) {
	e := newEnv(t)
	code := e.issueCode(auth.CodeRequest{ClientID: "app", RedirectURI: "https://app/cb"})
	req := codeReq(code, "svc", "svc-secret", "https://app/cb", "")
	req.Realm = "other"
	_, err := e.token(req)
	wantOAuth(t, err, auth.ErrorUnauthorizedClient) // svc has no standard flow
	e.dir.PutClient(clientWithStandardFlow("other"), "s")
	req = codeReq(code, "web", "s", "https://app/cb", "")
	req.Realm = "other"
	_, err = e.token(req)
	wantOAuth(t, err, auth.ErrorInvalidGrant)
}

func TestAuthorizationCodeReuseRevokesWhatItIssued(t *testing.T) {
	e := newEnv(t)
	code := e.issueCode(auth.CodeRequest{ClientID: "app", RedirectURI: "https://app/cb", Scope: "openid"})
	tok := e.mustToken(codeReq(code, "app", "app-secret", "https://app/cb", ""))
	refreshed := e.mustToken(refreshReq(tok.RefreshToken, "app", "app-secret"))
	if !e.introspect(tok.AccessToken).Active {
		t.Fatal("fresh access token inactive")
	}

	_, err := e.token(codeReq(code, "app", "app-secret", "https://app/cb", ""))
	wantOAuth(t, err, auth.ErrorInvalidGrant)

	if e.introspect(tok.AccessToken).Active {
		t.Fatal("access token from the reused code is still active")
	}
	_, err = e.token(refreshReq(refreshed.RefreshToken, "app", "app-secret"))
	wantOAuth(t, err, auth.ErrorInvalidGrant)
}

func TestIssueCodeEnforcesThePKCEPolicy(t *testing.T) {
	tests := []struct {
		name string
		req  auth.CodeRequest
		ok   bool
	}{
		{"PublicClientNeedsPKCE", auth.CodeRequest{ClientID: "spa"}, false},
		{"PublicClientRefusesPlain", auth.CodeRequest{ClientID: "spa", CodeChallenge: verifier, CodeChallengeMethod: "plain"}, false},
		{"PublicClientRefusesImplicitPlain", auth.CodeRequest{ClientID: "spa", CodeChallenge: verifier}, false},
		{"PublicClientWithS256", auth.CodeRequest{ClientID: "spa", CodeChallenge: challenge(verifier), CodeChallengeMethod: "S256"}, true},
		{"ConfidentialClientRefusesPlain", auth.CodeRequest{ClientID: "app", CodeChallenge: verifier, CodeChallengeMethod: "plain"}, false},
		{"ClientAttributeAllowsPlain", auth.CodeRequest{ClientID: "plain", CodeChallenge: verifier, CodeChallengeMethod: "plain"}, true},
		{"ClientAttributeRequiresPKCE", auth.CodeRequest{ClientID: "plain"}, false},
		{"UnknownMethod", auth.CodeRequest{ClientID: "app", CodeChallenge: challenge(verifier), CodeChallengeMethod: "S512"}, false},
		{"ShortChallenge", auth.CodeRequest{ClientID: "app", CodeChallenge: "abc", CodeChallengeMethod: "S256"}, false},
		{"ClientWithoutStandardFlow", auth.CodeRequest{ClientID: "svc"}, false},
		{"UnknownScope", auth.CodeRequest{ClientID: "app", Scope: "openid phone"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tt.req.Realm, tt.req.UserID = "acme", alice.ID
			_, err := e.svc.IssueCode(context.Background(), tt.req)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestPlainPKCERedemption(t *testing.T) {
	e := newEnv(t)
	code := e.issueCode(auth.CodeRequest{ClientID: "plain", RedirectURI: "https://p/cb", CodeChallenge: verifier, CodeChallengeMethod: "plain"})
	e.mustToken(codeReq(code, "plain", "plain-secret", "https://p/cb", verifier))
}

func TestCodeRedemptionForDeletedUserFails(t *testing.T) {
	e := newEnv(t)
	code := e.issueCode(auth.CodeRequest{ClientID: "app", RedirectURI: "https://app/cb"})
	e.dir.DeleteUser("acme", alice.ID)
	_, err := e.token(codeReq(code, "app", "app-secret", "https://app/cb", ""))
	wantOAuth(t, err, auth.ErrorInvalidGrant)
	if iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("iam code = %s", iam.ErrorCode(err))
	}
}
