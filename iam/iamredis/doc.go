// Package iamredis is what OpenGate's Redis stores (authredis,
// sessionredis) share on rueidis: a client whose commands are bounded by
// their context's per-call budget, the one translation of Redis errors into
// iam codes, and the deletion of every key under a prefix (a deleted realm's
// keys).
//
//	client = iamredis.CallTimeouts(client)
//	err := iamredis.MapError("sessionredis.Get", client.Do(ctx, cmd).Error())
//	err = iamredis.DeletePrefix(ctx, client, "opengate:session:{acme}:")
package iamredis
