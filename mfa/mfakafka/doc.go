// Package mfakafka wires the MFA service to the event bus (bus-agnostic:
// any iam.Subscriber — iamkafka in production, iambus in-process):
//
//   - Run: the service's own consumer (group mfa.Consumer, "mfa"):
//     user.deleted removes the user's factors and pending codes,
//     realm.deleted removes the realm's factors; each event takes effect
//     once (the store's Once).
//
//     go mfakafka.Run(ctx, sub, svc)
package mfakafka
