// Command opengate runs every OpenGate service in one process behind one
// listener. With no configuration it keeps everything in memory (the embedded
// default); OPENGATE_POSTGRES_URL, OPENGATE_REDIS_URL and
// OPENGATE_KAFKA_BROKERS make it a production single-binary deployment.
//
// "opengate export -realm NAME" and "opengate import FILE" move a whole
// realm (a Keycloak realm export, secrets and password hashes included)
// out of and into the configured stores.
package main

import "github.com/opengate-iam/opengate/cmd/internal/boot"

func main() { boot.Main("opengate", run) }
