package authtest

import (
	"testing"

	"github.com/opengate-iam/opengate/auth"
)

// KeyStoreHarness is one fresh, empty auth.KeyStore under test.
type KeyStoreHarness struct {
	Store auth.KeyStore
}

// RunKeyStore checks the guarantees of auth.KeyStore: each case on a fresh
// KeyStoreHarness from newHarness, which must return an empty store each
// time it is called.
//
//	func TestKeyStore(t *testing.T) {
//		authtest.RunKeyStore(t, func(t *testing.T) authtest.KeyStoreHarness {
//			return authtest.KeyStoreHarness{Store: authmem.NewKeyStore()}
//		})
//	}
func RunKeyStore(t *testing.T, newHarness func(t *testing.T) KeyStoreHarness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, KeyStoreHarness)
	}{
		{"EmptyRealmHasNoKeys", keyEmptyRealmHasNoKeys},
		{"KeysOfEveryAlgorithmRoundTrip", keyKeysOfEveryAlgorithmRoundTrip},
		{"DeleteRealmKeysDeletesOnlyThatRealm", keyDeleteRealmKeysDeletesOnlyThatRealm},
		{"FirstActivationRequiresNoActiveKey", keyFirstActivationRequiresNoActiveKey},
		{"RotationRetiresTheReplacedKey", keyRotationRetiresTheReplacedKey},
		{"DuplicateKidIsAConflict", keyDuplicateKidIsAConflict},
		{"ConcurrentFirstActivationsLeaveOneActiveKey", keyConcurrentFirstActivationsLeaveOneActiveKey},
		{"ConcurrentRotationsOfOneKeyLeaveOneActiveKey", keyConcurrentRotationsOfOneKeyLeaveOneActiveKey},
		{"DeleteExpiredKeysKeepsActiveAndUnexpiredKeys", keyDeleteExpiredKeysKeepsActiveAndUnexpiredKeys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newHarness(t))
		})
	}
}

// TokenStoreHarness is one fresh, empty auth.TokenStore under test, using
// the real clock.
type TokenStoreHarness struct {
	Store auth.TokenStore
}

// RunTokenStore checks the guarantees of auth.TokenStore: each case on a
// fresh TokenStoreHarness from newHarness, which must return an empty store
// each time it is called. Expiry is checked with TTLs of a few milliseconds
// and a short sleep after them; no assertion depends on the store being
// fast.
//
//	func TestTokenStore(t *testing.T) {
//		authtest.RunTokenStore(t, func(t *testing.T) authtest.TokenStoreHarness {
//			return authtest.TokenStoreHarness{Store: authmem.New()}
//		})
//	}
func RunTokenStore(t *testing.T, newHarness func(t *testing.T) TokenStoreHarness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, TokenStoreHarness)
	}{
		{"FirstCodeRedemptionReturnsTheCode", tokenFirstCodeRedemptionReturnsTheCode},
		{"LaterCodeRedemptionsReturnTheFirst", tokenLaterCodeRedemptionsReturnTheFirst},
		{"ConsumedCodeIsKeptForKeep", tokenConsumedCodeIsKeptForKeep},
		{"UnknownExpiredOrForeignCodeIsNotFound", tokenUnknownExpiredOrForeignCodeIsNotFound},
		{"DuplicateCodeIsAConflict", tokenDuplicateCodeIsAConflict},
		{"ConcurrentCodeRedemptionsHaveOneWinner", tokenConcurrentCodeRedemptionsHaveOneWinner},
		{"SavedRefreshTokenRoundTrips", tokenSavedRefreshTokenRoundTrips},
		{"RefreshRotationMarksTheOldTokenAndStoresTheNext", tokenRefreshRotationMarksTheOldTokenAndStoresTheNext},
		{"UnknownOrForeignRefreshTokenIsNotFound", tokenUnknownOrForeignRefreshTokenIsNotFound},
		{"ExpiredRefreshTokenIsNotFound", tokenExpiredRefreshTokenIsNotFound},
		{"ConcurrentRefreshRotationsHaveOneWinner", tokenConcurrentRefreshRotationsHaveOneWinner},
		{"RevokedFamilyRefusesRotation", tokenRevokedFamilyRefusesRotation},
		{"RevokedSessionRevokesItsTokens", tokenRevokedSessionRevokesItsTokens},
		{"RevokeUserSessionsRevokesEveryRecordedSession", tokenRevokeUserSessionsRevokesEveryRecordedSession},
		{"AccessTokenBlacklist", tokenAccessTokenBlacklist},
		{"RevocationsAreIdempotentAndNeverShortened", tokenRevocationsAreIdempotentAndNeverShortened},
		{"LoginFailuresAreCountedPerKey", tokenLoginFailuresAreCountedPerKey},
		{"OldLoginFailuresAreReset", tokenOldLoginFailuresAreReset},
		{"LoginFailureRecordExpiresAfterTTL", tokenLoginFailureRecordExpiresAfterTTL},
		{"ConcurrentLoginFailuresAreAllCounted", tokenConcurrentLoginFailuresAreAllCounted},
		{"KeptSessionStaysAliveAndRecorded", tokenKeptSessionStaysAliveAndRecorded},
		{"DeleteRealmForgetsEveryRecordOfTheRealmOnly", tokenDeleteRealmForgetsEveryRecordOfTheRealmOnly},
		{"TokensIssuedSinceTheEpochAreAccepted", tokenTokensIssuedSinceTheEpochAreAccepted},
		{"TokensIssuedBeforeTheEpochAreRefused", tokenTokensIssuedBeforeTheEpochAreRefused},
		{"AMissingEpochMeansLostStateAndRefusesOlderTokens", tokenAMissingEpochMeansLostStateAndRefusesOlderTokens},
		{"DeleteRealmStartsANewEpoch", tokenDeleteRealmStartsANewEpoch},
		{"NonPositiveTTLIsInvalid", tokenNonPositiveTTLIsInvalid},
		{"LoginFlowRoundTripsAndIsReplaced", browserLoginFlowRoundTripsAndIsReplaced},
		{"TakenLoginFlowIsGone", browserTakenLoginFlowIsGone},
		{"ConcurrentLoginFlowTakesHaveOneWinner", browserConcurrentTakesHaveOneWinner},
		{"LoginFlowExpires", browserLoginFlowExpires},
		{"BrowserSessionRoundTripsAndIsUnique", browserSessionRoundTripsAndIsUnique},
		{"BrowserSessionIsRevokedWithItsSession", browserSessionIsRevokedWithItsSession},
		{"BrowserSessionCountsAmongTheUsersSessions", browserSessionCountsAmongTheUsersSessions},
		{"BrowserSessionExpires", browserSessionExpires},
		{"DeleteRealmForgetsLoginFlowsAndBrowserSessions", browserDeleteRealmForgetsFlowsAndSessions},
		{"BrowserNonPositiveTTLIsInvalid", browserNonPositiveTTLIsInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newHarness(t))
		})
	}
}
