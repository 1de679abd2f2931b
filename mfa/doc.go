// Package mfa is OpenGate's multi-factor service: authenticator apps (TOTP,
// RFC 6238, codes made with github.com/pquerna/otp), recovery codes and
// email one-time codes, the Store and EphemeralStore interfaces every
// backend implements (mfamem; mfapg for factors, with TOTP secrets sealed
// under the deployment key; mfaredis for verification state shared by
// replicas) with their guarantees, and the Service with the rules:
//
//   - Enrolment: StartTOTP returns the secret, the otpauth:// URI and a QR
//     code under the realm's OTP policy (otpPolicy* settings); ConfirmTOTP
//     makes it count after a first valid code and completes the user's
//     CONFIGURE_TOTP required action (WithRequiredActions).
//   - Verification: Verify accepts a code of a confirmed authenticator
//     within the realm's window, each time step once (replays are refused,
//     across replicas with mfaredis), a pending email code or an unused
//     recovery code, and locks the user out of verification by the realm's
//     brute-force settings.
//   - Recovery codes: RegenerateRecoveryCodes makes ten single-use codes,
//     shown once, stored hashed; a new set voids the old one.
//   - Email codes: SendEmailOTP sends six digits through a Sender, valid
//     five minutes and five attempts, at most five sends per user per
//     fifteen minutes; mfa.otp_sent records the send without the code.
//   - Keycloak's view: Credentials and DeleteCredential show the factors as
//     credentials of type "otp" (users.WithFactorCredentials).
//   - The consumer: user.deleted and realm.deleted remove factors
//     (HandleEvent, Consumer, Topics).
//
// The token service asks it through its own small interface
// (auth.SecondFactors: Factors, Verify, SendEmailOTP), in process or through
// mfahttp.Client:
//
//	svc := mfa.New(mfamem.New(), mfamem.NewEphemeral(), realmSvc,
//		mfa.WithSender(notifier), mfa.WithPublisher(bus))
//	e, err := svc.StartTOTP(ctx, "acme", userID, "alice", "Phone")
//	// show e.QRCode; the user's app then shows a code:
//	_, err = svc.ConfirmTOTP(ctx, "acme", userID, e.FactorID, code)
//	...
//	method, err := svc.Verify(ctx, "acme", userID, code) // at login
package mfa
